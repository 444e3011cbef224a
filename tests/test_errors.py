"""Error pages of our own: a 503 while the database is down (as /healthz says), a 500 otherwise,
both rendered without touching the database."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client


@contextmanager
def database_gone():
    """Point the connection at a database that does not answer (a real failure to connect, not
    a mock): a file in a directory that does not exist, or a port nobody listens on."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-dir/eldercare.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_of_our_own_while_the_database_is_down(seed, lyngby):
    client = Client(raise_request_exception=False)
    client.force_login(lyngby)
    with database_gone():
        check_unavailable(client)
    assert client.get("/").status_code == 200  # and back when the database is


def check_unavailable(client):
    for url in ("/", "/statements/173/vaerdighed/2018/", "/initiatives/", "/accounts/login/"):
        response = client.get(url)
        assert response.status_code == 503, url
        html = response.content.decode()
        assert "Tjenesten er midlertidigt utilgængelig" in html and "Tilskudsregnskab" in html
        assert response["Retry-After"] == "30"
    assert client.get("/healthz").status_code == 503


def test_an_unexpected_error_is_our_500_page(client, reader, monkeypatch):
    from committee import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "_overview_context", broken)
    client.raise_request_exception = False
    client.force_login(reader)
    response = client.get("/?year=2018&fresh=1")
    assert response.status_code == 500
    assert "Der skete en fejl hos os" in response.content.decode()
