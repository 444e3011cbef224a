"""What `make bench` and `make load-test` share (docs/benchmarks.md): a prepared database, gunicorn
as production runs it, a logged-in session. Only 127.0.0.1; every wait is bounded in time."""

import contextlib
import datetime as dt
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import lxml.html
import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
DRAFT = "/statements/173/vaerdighed/2019"  # the draft bench/synthetic.py (create_draft) makes
PREPARE = [  # manage.py commands: schema, seed, demo accounts, the draft, synthetic data, static
    "migrate --noinput -v0",
    "load_seed",
    "setup_demo",
    "shell -c 'from bench.synthetic import create_draft; create_draft()'",
    "seed_synthetic --scale {scale}",
    "collectstatic --noinput -v0",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def stamp(elapsed: float) -> str:
    """When, on what code and machine, and how long: the line every report starts with."""
    git = ["git", "describe", "--always", "--dirty"]
    commit = subprocess.check_output(git, cwd=ROOT, text=True).strip()
    when = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    return f"{when}, commit {commit}, {os.cpu_count()} cores, {elapsed:.0f} s"


def wait_until(predicate, seconds: float, pause: float = 0.1) -> bool:
    """Whether `predicate()` came true within `seconds` (asked again every `pause` seconds)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(pause)
    return True


def sql(url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE DATABASE, VACUUM)."""
    options = "-c statement_timeout=600s"
    with contextlib.closing(psycopg2.connect(url, connect_timeout=10, options=options)) as conn:
        conn.autocommit = True
        conn.cursor().execute(statement)


def prepare(
    server: str, name: str, scale: int, workdir: str, stack: contextlib.ExitStack
) -> dict[str, str]:
    """A fresh database `name` on `server` (dropped when `stack` closes) after PREPARE's commands;
    the app's environment for it. VACUUM ANALYZE: without statistics the overview's sums took
    ~100 ms, not ~3 ms, at scale 10."""
    started, drop = time.monotonic(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    sql(f"{server}/postgres", drop)
    stack.callback(sql, f"{server}/postgres", drop)
    sql(f"{server}/postgres", f'CREATE DATABASE "{name}"')
    env = app_env(f"{server}/{name}", workdir)
    for command in PREPARE:
        args = [sys.executable, "manage.py", *shlex.split(command.format(scale=scale))]
        subprocess.run(args, cwd=ROOT, env=env, check=True, timeout=900, stdout=subprocess.DEVNULL)
    sql(env["DATABASE_URL"], "VACUUM (ANALYZE)")
    log(f"  {env['DATABASE_URL']}: scale {scale} ready in {time.monotonic() - started:.0f} s")
    return env


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn on a free port, in its own process group, its log (and the app's) in `workdir`.
    A server that does not become healthy is stopped before the error is raised."""

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

    def healthy(self) -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
        return False

    def wait_healthy(self, seconds: float) -> None:
        if not wait_until(self.healthy, seconds, 0.2):
            raise RuntimeError(f"gunicorn on {self.base} not healthy; see {self.log}")

    def stop(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # what is left: a hung master, lost workers
        self.proc.wait(10)


def login(base: str, username="lyngby", password="demo", session=None) -> requests.Session:
    """A session logged in as `username` (`session`, or a new one; base "" for locust's)."""
    session = session or requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    fields = dict(form_values(page.text, "password")) | {"username": username, "password": password}
    answer = session.post(page.url, fields, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"login as {username} answered {answer.status_code}")
    return session


def form_values(html: str, having: str) -> list[tuple[str, str]]:
    """What a browser submits from the page's form that has a field named `having`."""
    for form in lxml.html.fromstring(html).forms:
        if having in form.fields:
            return list(form.form_values())
    raise RuntimeError(f"no form with a {having!r} field on the page")


def entry_form(html: str, amount: int, pick: int = 0) -> tuple[list[tuple[str, str]], int]:
    """The entry page's form as it is (its version too), the `pick`th row's amount (cyclically)
    set to `amount`, to save; and that row's id."""
    fields = form_values(html, "version")
    rows = sorted(k for k, _v in fields if k.startswith("amount-"))
    row = rows[pick % len(rows)]
    body = [(k, v) for k, v in fields if k != row] + [(row, str(amount)), ("action", "save")]
    return body, int(row.removeprefix("amount-"))
