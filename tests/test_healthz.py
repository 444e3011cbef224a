import pytest
from django.test import Client

from tests.test_errors import database_gone

REDIS_NOBODY_LISTENS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # a port nobody listens on: a real refusal
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_when_the_database_does_not_answer(client):
    with database_gone():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_healthz_and_pages_are_503_when_the_shared_cache_does_not_answer(settings, reader, client):
    client.force_login(reader)  # a session in the database (the default configuration)
    settings.CACHES = REDIS_NOBODY_LISTENS  # Django's test signal resets the cache handler
    response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["cache"] == "unavailable"
    client.raise_request_exception = False
    page = client.get("/initiatives/?municipality=173")
    assert page.status_code == 503
    assert "Tjenesten er midlertidigt utilgængelig" in page.content.decode()
