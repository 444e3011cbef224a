"""What `make bench` and `make load-test` share: a fresh database with the seed, the demo accounts,
the entry page's draft and the synthetic data; gunicorn as production runs it (2 sync workers,
DEBUG off); a logged-in `requests` session. Only 127.0.0.1; every wait is bounded in time."""

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import lxml.html
import psutil
import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
DRAFT = "/statements/173/vaerdighed/2019"  # the draft bench/synthetic.py (create_draft) makes


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def stamp(elapsed: float) -> str:
    """When, on what code and machine, and how long: the line every report starts with."""
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit} plus working tree, "
        f"{os.cpu_count()} cores, {elapsed:.0f} s"
    )


def sql(url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE DATABASE, VACUUM)."""
    conn = psycopg2.connect(url, connect_timeout=10, options="-c statement_timeout=600s")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def fresh_database(server: str, name: str) -> str:
    sql(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sql(f"{server}/postgres", f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def app_env(database: str, workdir: str) -> dict[str, str]:
    """Production-like: DEBUG off, collected static files, persistent database connections, and
    the cache and sessions in Redis (CACHE_URL, BENCH_REDIS_URL; a database index of its own)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": HOST,
        "SECURE_COOKIES": "false",
        "STATIC_ROOT": f"{workdir}/static",
        "CACHE_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }


def prepare(env: dict[str, str], scale: int) -> None:
    """Schema, seed, demo accounts, the draft, the synthetic data, static files, statistics."""
    started = time.monotonic()
    for args in (
        ["migrate", "--noinput", "-v0"],
        ["load_seed"],
        ["compile_catalogues"],
        ["setup_demo"],
        ["shell", "-c", "from bench.synthetic import create_draft; create_draft()"],
        ["seed_synthetic", "--scale", str(scale)],
        ["collectstatic", "--noinput", "-v0"],
    ):
        command = [sys.executable, "manage.py", *args]
        subprocess.run(
            command, cwd=ROOT, env=env, check=True, timeout=900, stdout=subprocess.DEVNULL
        )
    # Planner statistics for the bulk-loaded tables: without them PostgreSQL plans nested loops
    # over every allocation line (the overview's sums took ~100 ms instead of ~3 ms at scale 10).
    sql(env["DATABASE_URL"], "VACUUM (ANALYZE)")
    log(f"  {env['DATABASE_URL']}: scale {scale} ready in {time.monotonic() - started:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn on a free port of 127.0.0.1, in its own process group; its log (and the app's,
    through --capture-output) in the work directory. A server that does not become healthy is
    stopped before the error is raised, so nothing is left running."""

    def __init__(self, env: dict[str, str], workdir: str, workers: int = 2) -> None:
        self.port = free_port()
        self.base, self.log = f"http://{HOST}:{self.port}", f"{workdir}/gunicorn-{self.port}.log"
        options = f"--workers {workers} --bind {HOST}:{self.port} --timeout 60 --no-control-socket"
        command = [BIN / "gunicorn", "eldercare.wsgi", *options.split(), "--capture-output"]
        command += ["--error-logfile", self.log]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        try:
            self.wait_healthy(60)
        except BaseException:
            self.stop()
            raise

    def wait_healthy(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn on {self.base} not healthy; see {self.log}")

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # a worker its master left behind


def login(base: str, username: str = "lyngby", password: str = "demo") -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30).raise_for_status()
    token = session.cookies["csrftoken"]
    answer = session.post(
        f"{base}/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login as {username} answered {answer.status_code}")
    return session


def form_values(html: str, having: str) -> list[tuple[str, str]]:
    """What a browser submits from the page's form that has a field named `having`."""
    for form in lxml.html.fromstring(html).forms:
        if having in form.fields:
            return list(form.form_values())
    raise RuntimeError(f"no form with a {having!r} field on the page")
