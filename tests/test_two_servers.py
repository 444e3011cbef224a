"""Two app servers, as docs/deploy.md describes them: two gunicorn processes (one worker each,
DEBUG off) on the test's own database and one Redis (CACHE_URL). A login on one is a session on
the other; a write through one is on the other's cached pages at its very next request; a
lock-out on one holds on the other.

Redis: the one at 127.0.0.1:6379 (database index 9, emptied before and after each test), or, where
none answers, one the test starts on a free port and stops by its pid. Without Redis the tests
fail in CI (CI=true) and are skipped elsewhere. Every wait is bounded; the servers are stopped
(their whole process group) however the tests end."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import lxml.html
import pytest
import redis
import requests
from django.conf import settings as django_settings

from bench.common import ROOT, Gunicorn, form_values, free_port, login
from budgets.models import BudgetProposal
from grants.models import Initiative, Municipality

pytestmark = pytest.mark.django_db(transaction=True)

SHARED_REDIS = "redis://127.0.0.1:6379/9"
TIMEOUT = 30  # seconds, for any one request


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the two-server tests)")
    pytest.skip(reason)


def stop_redis(pid_file: Path) -> None:
    """Stop the Redis this module started, by the pid it wrote, and wait until it is gone."""
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        while time.monotonic() < deadline:
            os.kill(pid, 0)  # ProcessLookupError once it has exited
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    if answers(SHARED_REDIS):
        yield SHARED_REDIS
        return
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("no Redis answers at 127.0.0.1:6379 and redis-server is not installed")
    directory = tmp_path_factory.mktemp("redis")
    pid_file, port = directory / "redis.pid", free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    command += ["no", "--daemonize", "yes", "--pidfile", str(pid_file), "--dir", str(directory)]
    url = f"redis://127.0.0.1:{port}/9"
    try:
        started = subprocess.run(command, timeout=30, capture_output=True, text=True)
        deadline = time.monotonic() + 10
        while started.returncode == 0 and not answers(url) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not answers(url):
            unavailable(f"no Redis answers, and none could be started: {started.stdout[-500:]}")
        yield url
    finally:
        stop_redis(pid_file)


def database_url() -> str:
    """The test database (pytest-django has created it and renamed it in the settings)."""
    db = django_settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    assert db["ENGINE"] == "django.db.backends.postgresql", db["ENGINE"]
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "localhost", safe="")  # a socket directory is a path
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


@pytest.fixture(scope="module")
def servers(django_db_setup, redis_url, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Two app servers configured alike, as every app server of a deployment must be: one
    SECRET_KEY, one DATABASE_URL, one CACHE_URL. Yields their base URLs."""
    workdir = tmp_path_factory.mktemp("servers")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "eldercare.settings",
        "DATABASE_URL": database_url(),
        "CACHE_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "two-servers-test-only-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",  # plain HTTP on 127.0.0.1
        "STATIC_ROOT": str(workdir / "static"),
        # A connection per request: none is held open while a test empties the database.
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    started: list[Gunicorn] = []
    try:
        for _ in range(2):
            try:
                started.append(Gunicorn(env, str(workdir), workers=1))
            except RuntimeError as error:
                logs = "\n".join(p.read_text()[-3000:] for p in workdir.glob("gunicorn-*.log"))
                pytest.fail(f"{error}\n{logs}")
        yield started[0].base, started[1].base
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def cache(redis_url) -> Iterator[redis.Redis]:
    """The servers' Redis database, empty at the start and the end of each test."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(autouse=True)
def production_password_hasher(settings):
    """The servers verify passwords with the production hashers only: the personas' passwords
    are hashed with Argon2 here, not with tests/conftest.py's fast MD5."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]


def log_in(base: str, user) -> requests.Session:
    return login(base, user.username, f"pw-{user.username}")


def get(session: requests.Session, url: str) -> str:
    response = session.get(url, timeout=TIMEOUT, allow_redirects=False)
    assert response.status_code == 200, (url, response.status_code)
    return response.text


def post(session: requests.Session, url: str, data) -> requests.Response:
    return session.post(url, data=data, timeout=TIMEOUT, allow_redirects=False)


def page_keys(cache: redis.Redis) -> set[bytes]:
    return set(cache.scan_iter(match=b"*:eldercare:page:*"))


def warm(cache: redis.Redis, session: requests.Session, url: str) -> str:
    """Request a cached page twice: the first stores it, the second is served from the cache
    (stores nothing new). A write after this proves invalidation, not a cold cache."""
    before = page_keys(cache)
    html = get(session, url)
    stored = page_keys(cache)
    assert stored - before, f"{url} was not cached"
    assert text(get(session, url), "//main") == text(html, "//main")
    assert page_keys(cache) == stored
    return html


def text(html: str, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in lxml.html.fromstring(html).xpath(xpath)]


def test_a_login_on_one_server_is_a_session_on_the_other(servers, cache, lyngby):
    a, b = servers
    on_a = log_in(a, lyngby)
    session_key = on_a.cookies["sessionid"]
    # The session is read from Redis (cached_db: written through to the database too).
    assert list(cache.scan_iter(match=f"*django.contrib.sessions.cached_db{session_key}"))
    # Server B, sent only the browser's cookies, knows the user.
    on_b = requests.Session()
    for name in ("sessionid", "csrftoken"):
        on_b.cookies.set(name, on_a.cookies[name], domain="127.0.0.1")
    assert text(get(on_b, f"{b}/"), "//header//div[@class='user']/span") == [
        "lyngby · Økonomimedarbejder, Lyngby-Taarbæk"
    ]
    # Logging out on B ends the session on A.
    logout = post(on_b, f"{b}/accounts/logout/", {"csrfmiddlewaretoken": on_b.cookies["csrftoken"]})
    assert logout.status_code == 302
    answer = on_a.get(f"{a}/", timeout=TIMEOUT, allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/accounts/login/")


def test_an_initiative_edited_on_a_is_new_on_bs_cached_page(servers, cache, lyngby):
    a, b = servers
    session = log_in(a, lyngby)  # the same browser, balanced over both servers
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    page = f"/initiatives/{evening.pk}/"
    assert text(warm(cache, session, f"{b}{page}"), "//h1") == ["Løft af aftenvagten"]

    fields = dict(form_values(get(session, f"{a}/initiatives/{evening.pk}/edit/"), "title"))
    fields["title"] = "Løft af aftenvagten, rettet på server A"
    saved = post(session, f"{a}/initiatives/{evening.pk}/edit/", fields)
    assert saved.status_code == 302 and saved.headers["Location"] == page

    assert text(get(session, f"{b}{page}"), "//h1") == ["Løft af aftenvagten, rettet på server A"]


def test_a_statement_submitted_on_a_is_submitted_on_b(servers, cache, ishoj):
    a, b = servers
    session = log_in(a, ishoj)
    municipality_page = f"{b}/municipalities/183/"
    status_2016 = "//table[@id='grants-vaerdighed']/tbody/tr[th='2016']/td[2]"
    assert text(warm(cache, session, municipality_page), status_2016) == ["Kladde"]
    statement_status = "//div[contains(@class, 'toolbar')]/span[contains(@class, 'status')]"
    assert text(get(session, f"{b}/statements/183/vaerdighed/2016/"), statement_status) == [
        "Kladde"
    ]

    # A balanced Ishøj 2016: the whole grant on the first row of each table, Boks 1 and 2.
    edit = f"{a}/statements/183/vaerdighed/2016/edit/"
    html = get(session, edit)
    fields = dict(form_values(html, "box1"))
    assert fields["grant"] == "2.844.000"
    for table in ("1", "2"):
        first = lxml.html.fromstring(html).xpath(f"//input[@data-table='{table}']")[0]
        fields[first.get("name")] = "2.844.000"
    fields |= {"box1": "Fordelt og indsendt gennem server A.", "box2_confirmed": "on"}
    reviewed = post(session, edit, fields | {"action": "submit"})
    assert reviewed.status_code == 302, reviewed.text[:2000]
    assert reviewed.headers["Location"] == "/statements/183/vaerdighed/2016/review/"
    review = f"{a}/statements/183/vaerdighed/2016/review/"
    confirm = dict(form_values(get(session, review), "version"))
    submitted = post(session, review, confirm)
    assert submitted.status_code == 302, submitted.text[:2000]
    assert submitted.headers["Location"] == "/statements/183/vaerdighed/2016/"

    assert text(get(session, municipality_page), status_2016) == ["Indsendt"]
    assert text(get(session, f"{b}/statements/183/vaerdighed/2016/"), statement_status) == [
        "Indsendt"
    ]


def test_a_municipality_renamed_in_the_admin_on_a_is_renamed_on_b(servers, cache, administrator):
    a, b = servers
    session = log_in(a, administrator)
    # København has no submitted statement: the admin lets its name change.
    municipality = Municipality.objects.get(code="101")
    assert text(warm(cache, session, f"{b}/municipalities/101/"), "//h1") == [
        municipality.full_name
    ]

    change = f"{a}/admin/grants/municipality/{municipality.pk}/change/"
    fields = dict(form_values(get(session, change), "name"))
    fields |= {"name": "Københavns Omdøbte", "_save": "Gem"}
    saved = post(session, change, fields)
    assert saved.status_code == 302, saved.text[:2000]

    municipality.refresh_from_db()
    assert municipality.name == "Københavns Omdøbte"
    assert text(get(session, f"{b}/municipalities/101/"), "//h1") == [municipality.full_name]


def test_proposals_bulk_deleted_in_the_admin_on_a_are_gone_on_b(servers, cache, administrator):
    a, b = servers
    session = log_in(a, administrator)
    codes = "//table[@id='proposals-table']/tbody/tr/th"
    doomed = {"80BR_SSU", "87BR_SSU"}
    assert doomed < set(text(warm(cache, session, f"{b}/proposals/"), codes))

    changelist = f"{a}/admin/budgets/budgetproposal/"
    get(session, changelist)
    chosen = BudgetProposal.objects.filter(code__in=doomed).values_list("pk", flat=True)
    confirm = post(
        session,
        changelist,
        [
            ("csrfmiddlewaretoken", session.cookies["csrftoken"]),
            ("action", "delete_selected"),
            ("index", "0"),
            *[("_selected_action", str(pk)) for pk in chosen],
        ],
    )
    assert confirm.status_code == 200  # "Are you sure?"
    deleted = post(session, changelist, form_values(confirm.text, "post"))
    assert deleted.status_code == 302, deleted.text[:2000]
    assert not BudgetProposal.objects.filter(code__in=doomed).exists()

    shown = set(text(get(session, f"{b}/proposals/"), codes))
    assert len(shown) == 16 and not doomed & shown


def test_a_lockout_on_one_server_holds_on_the_other(servers, cache, reader, lyngby):
    """django-axes keeps its attempts in the database, which every server shares."""
    from axes.models import AccessAttempt

    a, b = servers
    on_a = requests.Session()
    get(on_a, f"{a}/accounts/login/")
    for _ in range(20):
        failed = post(
            on_a,
            f"{a}/accounts/login/",
            {
                "csrfmiddlewaretoken": on_a.cookies["csrftoken"],
                "username": reader.username,
                "password": "forkert",
            },
        )
        assert failed.status_code in (200, 429)  # the 20th failure answers "locked out"
    assert AccessAttempt.objects.get(username=reader.username).failures_since_start == 20

    on_b = requests.Session()
    get(on_b, f"{b}/accounts/login/")
    refused = post(
        on_b,
        f"{b}/accounts/login/",
        {
            "csrfmiddlewaretoken": on_b.cookies["csrftoken"],
            "username": reader.username,
            "password": f"pw-{reader.username}",
        },
    )
    assert refused.status_code == 429
    assert "Log ind midlertidigt spærret" in refused.text
    assert "sessionid" not in on_b.cookies
    # Only that username is locked out: another logs in on B from the same address.
    assert "sessionid" in log_in(b, lyngby).cookies
