"""Production security: throttled logins, CSP everywhere, Argon2, deploy checks, and on
PostgreSQL a database that refuses an unbalanced submitted statement."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from grants.models import AllocationLine, Statement
from tests.conftest import get_statement, make_user

PAGES = [
    "/",
    "/statements/173/2018/",
    "/statements/173/2018/history/",
    "/initiatives/",
    "/proposals/",
    "/statements/173/2018/accounts/",
    "/statements/183/2016/edit/",
]


def test_every_page_carries_a_strict_csp(client, administrator):
    client.force_login(administrator)
    for url in PAGES + ["/accounts/login/", "/admin/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        html = response.content.decode()
        if not url.startswith("/admin/"):
            # No inline script or style in our own templates (the admin is Django's).
            assert "<script>" not in html and " style=" not in html and "<style" not in html, url
            # and no template syntax leaked into the page (e.g. a multi-line {# comment #})
            assert "{#" not in html and "{%" not in html, url


def test_passwords_are_hashed_with_argon2(seed):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = make_user("someone")
    assert user.password.startswith("argon2$")


@pytest.mark.django_db(transaction=True)
def test_more_than_20_failed_logins_are_refused_logged_and_cool_off(client, seed):
    from axes.models import AccessAttempt, AccessFailureLog

    make_user("lyngby")
    for _ in range(20):
        response = client.post("/accounts/login/", {"username": "lyngby", "password": "forkert"})
    # The 20th failure locks: now even the right password is refused.
    response = client.post("/accounts/login/", {"username": "lyngby", "password": "pw-lyngby"})
    assert response.status_code == 429
    assert "Log ind midlertidigt spærret" in response.content.decode()
    assert AccessFailureLog.objects.filter(username="lyngby").count() >= 20
    # Another user from the same address is not locked out.
    make_user("ishoj")
    assert (
        client.post("/accounts/login/", {"username": "ishoj", "password": "pw-ishoj"}).status_code
        == 302
    )
    client.logout()
    # After the cool-off (an hour since the failures), the account unlocks.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1, minutes=1))
    response = client.post("/accounts/login/", {"username": "lyngby", "password": "pw-lyngby"})
    assert response.status_code == 302 and response["Location"] == "/"


PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 60 + "-not-a-real-production-secret-but-long-and-random-enough-A1b2C3",
    "ALLOWED_HOSTS": "tilskud.example.dk",
    "CSRF_TRUSTED_ORIGINS": "https://tilskud.example.dk",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "BEHIND_PROXY": "true",
}


def production_env() -> dict[str, str]:
    """This process's environment without the test-only variables, plus production's."""
    test_only = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {k: v for k, v in os.environ.items() if k not in test_only} | PRODUCTION_ENV


def test_check_deploy_is_clean_under_the_documented_production_settings():
    """The environment of README "Running on PostgreSQL with gunicorn": no deploy warning."""
    env = production_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_and_headers():
    env = production_env()
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_AGE, s.DATA_UPLOAD_MAX_MEMORY_SIZE)"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        capture_output=True,
        text=True,
        env=env | {"DJANGO_SETTINGS_MODULE": "eldercare.settings"},
        cwd=settings.BASE_DIR,
        check=True,
    ).stdout.split()
    assert out == ["True", "True", "True", "Lax", "31536000", "28800", "2621440"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_an_unbalanced_submitted_statement_even_through_raw_sql(seed):
    s = get_statement("173", 2018)
    line = s.lines.get(row__table=1, row__code="livskvalitet")
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE grants_allocationline SET amount = amount + 1 WHERE id = %s", [line.pk]
            )
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE grants_grant SET amount = amount - 1 WHERE id = %s", [s.grant_id]
            )
    assert AllocationLine.objects.get(pk=line.pk).amount == 8_879_000
    # Moving money between rows keeps the balance: allowed.
    other = s.lines.get(row__table=1, row__code="selvbestemmelse")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE grants_allocationline SET amount = amount + 1 WHERE id = %s", [line.pk]
        )
        cursor.execute(
            "UPDATE grants_allocationline SET amount = amount - 1 WHERE id = %s", [other.pk]
        )
    # A draft may be anything.
    draft = get_statement("183", 2016)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE grants_allocationline SET amount = 5 WHERE statement_id = %s", [draft.pk]
        )
    # And submitting a draft that does not balance, behind the app's back, is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=draft.pk).update(
            status="submitted", submitted_at=timezone.now()
        )
