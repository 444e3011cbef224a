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
    "/statements/173/vaerdighed/2018/",
    "/statements/173/vaerdighed/2018/history/",
    "/initiatives/",
    "/proposals/",
    "/statements/173/vaerdighed/2018/accounts/",
    "/statements/183/vaerdighed/2016/edit/",
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


@pytest.mark.django_db(transaction=True)
def test_behind_the_proxy_a_forged_forwarded_for_locks_out_only_the_forger(client, seed, settings):
    """21 wrong passwords for lyngby, each with another forged X-Forwarded-For entry: the proxy
    appends the sender's real address, and only that address is locked out of lyngby."""
    settings.BEHIND_PROXY = True
    make_user("lyngby")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}  # every request arrives from the proxy
    for n in range(21):
        forged = f"198.51.100.{n}, 203.0.113.66"  # the client's own entry, then the proxy's
        client.post(
            "/accounts/login/",
            {"username": "lyngby", "password": "forkert"},
            HTTP_X_FORWARDED_FOR=forged,
            **proxy,
        )
    attacker = client.post(
        "/accounts/login/",
        {"username": "lyngby", "password": "pw-lyngby"},
        HTTP_X_FORWARDED_FOR="198.51.100.200, 203.0.113.66",
        **proxy,
    )
    assert attacker.status_code == 429
    real_user = client.post(
        "/accounts/login/",
        {"username": "lyngby", "password": "pw-lyngby"},
        HTTP_X_FORWARDED_FOR="192.0.2.10",
        **proxy,
    )
    assert real_user.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_without_a_proxy_the_forwarded_for_header_is_ignored(client, seed, settings):
    settings.BEHIND_PROXY = False
    make_user("lyngby")
    for n in range(20):
        client.post(
            "/accounts/login/",
            {"username": "lyngby", "password": "forkert"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    response = client.post(
        "/accounts/login/",
        {"username": "lyngby", "password": "pw-lyngby"},
        HTTP_X_FORWARDED_FOR="192.0.2.10",
    )
    assert response.status_code == 429  # one sender (REMOTE_ADDR), whatever it claims


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


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql: str, params: list, match: str = "frozen|does not balance") -> None:
    """The statement fails at once or at commit, and leaves nothing behind."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        raw(sql, params)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")
@pytest.mark.django_db(transaction=True)
def test_postgresql_keeps_a_submitted_statement_frozen_even_through_raw_sql(seed):
    """docs/architecture.md: a submitted statement changes only by being reopened. Each hole the
    hostile review found (issue 13) is tried by raw SQL and refused."""
    s = get_statement("173", 2018)
    draft = get_statement("183", 2016)
    line = s.lines.get(row__table=1, row__code="livskvalitet")
    other = s.lines.get(row__table=1, row__code="selvbestemmelse")
    before = sorted(AllocationLine.objects.filter(statement=s).values_list("row_id", "amount"))
    update = "UPDATE grants_allocationline SET amount = amount + %s WHERE id = %s"
    refused(update, [1, line.pk])
    # Shifting money between two rows of one table keeps the sums, and is refused all the same.
    with pytest.raises(IntegrityError, match="frozen"), transaction.atomic():
        raw(update, [1, line.pk])
        raw(update, [-1, other.pk])
    refused("UPDATE grants_grant SET amount = amount - 1 WHERE id = %s", [s.grant_id])
    # A line moved to another statement, in either direction.
    refused("UPDATE grants_allocationline SET statement_id = %s WHERE id = %s", [draft.pk, line.pk])
    draft_line = draft.lines.first()
    refused(
        "UPDATE grants_allocationline SET statement_id = %s WHERE id = %s", [s.pk, draft_line.pk]
    )
    # All the lines of one table deleted; a line added.
    refused(
        "DELETE FROM grants_allocationline WHERE statement_id = %s AND row_id IN "
        '(SELECT id FROM grants_formrow WHERE "table" = 2)',
        [s.pk],
    )
    refused(
        "INSERT INTO grants_allocationline (statement_id, row_id, amount, specification) "
        "SELECT %s, row_id, 0, '' FROM grants_allocationline WHERE id = %s",
        [s.pk, draft_line.pk],
    )
    # The form it was submitted on: a row's table, label or position; a year's texts.
    refused('UPDATE grants_formrow SET "table" = 2 WHERE id = %s', [line.row_id])
    refused("UPDATE grants_formrow SET label = 'Andet navn' WHERE id = %s", [line.row_id])
    refused("UPDATE grants_grantyear SET form_title = 'x' WHERE id = %s", [s.grant.grant_year_id])
    # Its texts, and the statement itself.
    refused("UPDATE grants_statement SET box1 = 'ændret' WHERE id = %s", [s.pk])
    refused("DELETE FROM grants_statement WHERE id = %s", [s.pk])
    assert sorted(AllocationLine.objects.filter(statement=s).values_list("row_id", "amount")) == (
        before
    )
    # The accounts of a submitted statement are written while they are not approved ...
    raw("UPDATE grants_allocationline SET actual = 1 WHERE id = %s", [line.pk])
    # ... and frozen once they are.
    raw("UPDATE grants_statement SET accounts_status = 'approved' WHERE id = %s", [s.pk])
    refused("UPDATE grants_allocationline SET actual = 2 WHERE id = %s", [line.pk])
    # A draft may be anything, and its year's form too while nothing on it is submitted.
    raw("UPDATE grants_allocationline SET amount = 5 WHERE statement_id = %s", [draft.pk])
    raw(
        "UPDATE grants_formrow SET label = label || ' (ny)' WHERE grant_year_id = %s",
        [draft.grant.grant_year_id],
    )
    # And submitting a draft that does not balance, behind the app's back, is refused.
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        Statement.objects.filter(pk=draft.pk).update(
            status="submitted", submitted_at=timezone.now()
        )
