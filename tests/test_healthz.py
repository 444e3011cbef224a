from unittest import mock

from django.db.utils import OperationalError


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_does_not_answer(client, db):
    # The one place we stand in for the database: a server that is down cannot be had in-process.
    with mock.patch("grants.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
