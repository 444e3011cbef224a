"""Mixed load and faults (issue 6, item 4): bounded, loopback only.

    make load-test      (or: .venv/bin/python bench/load.py [--duration 60])

Starts a throwaway PostgreSQL cluster (its own data directory and port; the shared server on 5432
is never touched, let alone restarted), a fresh database with the seed, the demo accounts, a
Lyngby-Taarbæk 2019 draft and the synthetic data at scale 1, and gunicorn as `make bench` runs it
(2 sync workers, DEBUG off, CONN_MAX_AGE=60) on 127.0.0.1. Then:

  (a) mixed load: readers (committee member `udvalg`), two draft writers and an importer (`lyngby`,
      entry form with its version field; import previews) and exports, from a few threads for a
      bounded time; counts status codes; expects no 5xx.
  (b) PostgreSQL restart during load (`pg_ctl restart -m fast` of the throwaway cluster): errors
      per second, errors confined to the restart plus 5 s, /healthz 503 while the database is down
      and 200 after, no partial write.
  (c) a gunicorn worker SIGKILLed while a draft save, then an import, is inside its transaction
      (held there by a table lock on the audit trail, so the lines and the version are already
      written but not committed): nothing of it is left in the database, and the same request
      sent again succeeds.

Invariants after each: every submitted statement balances, and the draft's state is exactly what
its audit trail says (every AllocationLine change has its AuditEntry; every committed save bumped
the version once). Prints a report and writes it to docs/load-test.md. Stops everything at the end.
"""

import argparse
import collections
import datetime as dt
import json
import os
import pwd
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # bench/run.py: database, gunicorn, HTTP client, all loopback

ROOT = bench.ROOT
PG_BIN = Path("/usr/lib/postgresql/15/bin")
REPORT = ROOT / "docs" / "load-test.md"
DB_NAME = "eldercare_load"
DRAFT = f"/statements/{bench.DRAFT_CODE}/{bench.DRAFT_YEAR}"
READ_PATHS = [
    "/statements/173/2018/",
    "/",
    "/initiatives/?municipality=173&focus_area=livskvalitet",
    "/municipalities/173/",
    "/statements/183/2016/",
    "/years/2018/compare/",
    f"{DRAFT}/",
]
EXPORT_PATHS = [
    "/statements/173/2018/export.xlsx",
    f"{DRAFT}/export.xlsx",
    "/years/2018/export.xlsx",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ITERATIONS = 100_000  # per thread: every loop also stops at its deadline


def log(message: str) -> None:
    bench.log(message)


# --- A throwaway PostgreSQL cluster --------------------------------------------------------------


class Cluster:
    """initdb/pg_ctl as the postgres OS user, in a temp directory, on its own port and socket."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="eldercare-pg-"))
        self.data = self.dir / "data"
        self.logfile = self.dir / "postgres.log"
        self.port = bench.free_port()
        pw = pwd.getpwnam("postgres")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.running = False

    @property
    def server(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            cwd="/",
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def pg_ctl(self, action: str, *extra: str, timeout: float = 60) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-w",
            "-t",
            "30",
            "-o",
            options,
            *extra,
            action,
            timeout=timeout,
        )

    def init(self) -> None:
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        self.pg_ctl("start")
        self.running = True

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        if self.running:
            try:
                self.pg_ctl("stop", "-m", "immediate")
            except Exception as error:  # noqa: BLE001 - report and go on cleaning
                print(f"could not stop the throwaway cluster: {error}", file=sys.stderr)
            self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)


# --- Invariants, read through the Django ORM in a subprocess -------------------------------------

SNAPSHOT_CODE = """
import json, django
django.setup()
from grants.models import AuditEntry, Statement
from grants.money import format_kroner
from grants.permissions import statement_queryset
from grants.rules import statement_figures
from grants.services import row_label
submitted = statement_queryset().filter(status=Statement.Status.SUBMITTED)
unbalanced = []
count = 0
for s in submitted.iterator(chunk_size=500):
    count += 1
    if any(issue.code == "unbalanced" for issue in statement_figures(s).errors):
        unbalanced.append(str(s))
draft = statement_queryset().get(
    grant__municipality__code=%(code)r, grant__grant_year__year=%(year)d
)
print(json.dumps({
    "submitted": count,
    "unbalanced": unbalanced,
    "draft": {
        "pk": draft.pk,
        "status": draft.status,
        "version": draft.version,
        "grant": draft.grant.amount,
        "box1": draft.box1,
        "lines": {row_label(l.row): format_kroner(l.amount, empty="–") for l in draft.lines.all()},
    },
    "fields": {f"amount-{l.row_id}": row_label(l.row) for l in draft.lines.all()},
    "audit": [
        [e.pk, e.action, e.field, e.before, e.after]
        for e in AuditEntry.objects.filter(statement=draft).order_by("pk")
    ],
}))
"""


def snapshot(env: dict[str, str]) -> dict:
    code = SNAPSHOT_CODE % {"code": bench.DRAFT_CODE, "year": bench.DRAFT_YEAR}
    result = subprocess.run(
        [bench.PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"snapshot failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_invariants(
    before: dict, after: dict, saved: list[tuple[str, str]], *, one_field_saves: bool = True
) -> list[tuple]:
    """(check, passed, detail) for: submitted statements balance; the draft's lines are exactly
    what its audit trail since `before` says; one version bump per committed save (each of this
    script's form saves changes one field); every save answered 302 is in the trail."""
    checks = []
    checks.append(
        (
            "every submitted statement balances",
            not after["unbalanced"],
            f"{after['submitted']} submitted, unbalanced: {after['unbalanced'] or 'none'}",
        )
    )
    first_new = max((e[0] for e in before["audit"]), default=0)
    new = [e for e in after["audit"] if e[0] > first_new]
    expected = dict(before["draft"]["lines"])
    for _pk, _action, field, _before, value in new:
        if field in expected:
            expected[field] = value
    unexplained = {
        k: (v, expected.get(k)) for k, v in after["draft"]["lines"].items() if expected.get(k) != v
    }
    checks.append(
        (
            "every line change of the draft is in its audit trail",
            not unexplained,
            f"{len(new)} new audit entries; lines not explained by the trail: "
            f"{unexplained or 'none'}",
        )
    )
    bumps = after["draft"]["version"] - before["draft"]["version"]
    if one_field_saves:
        checks.append(
            (
                "one version bump per audited save (no partial write)",
                bumps == len(new),
                f"version {before['draft']['version']} → {after['draft']['version']}, "
                f"{len(new)} new audit entries",
            )
        )
    trail = {(e[2], e[4]) for e in new}
    missing = [s for s in saved if s not in trail]
    unanswered = ""
    if one_field_saves and len(new) > len(saved):
        # A save can commit and its request still fail: the server shut down between
        # committing and acknowledging the COMMIT, so the app cannot know it succeeded. The
        # change is whole and audited; sending it again meets the newer version (409, the
        # user's values beside the saved ones), so nothing is applied twice.
        unanswered = (
            f"; {len(new) - len(saved)} more committed whole although their client got an "
            "error (the connection was lost at the COMMIT)"
        )
    checks.append(
        (
            "every save answered 302 is in the audit trail",
            not missing,
            f"{len(saved)} saves answered 302; missing from the trail: {missing or 'none'}"
            + unanswered,
        )
    )
    return checks


# --- Load --------------------------------------------------------------------------------------


class Recorder:
    """Every request's outcome: (end time, kind, status or exception name, seconds)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[float, str, object, float]] = []
        self.saved: list[tuple[str, str]] = []  # (row label, amount text) answered 302

    def add(self, kind: str, status: object, seconds: float) -> None:
        with self.lock:
            self.events.append((time.monotonic(), kind, status, seconds))

    def timed(self, kind: str, call):
        started = time.monotonic()
        try:
            result = call()
        except Exception as error:  # noqa: BLE001 - a failed request is data here
            self.add(kind, type(error).__name__, time.monotonic() - started)
            return None
        self.add(kind, result[0], time.monotonic() - started)
        return result


def is_error(status: object) -> bool:
    return not isinstance(status, int) or status >= 500


def login(port: int, username: str, deadline: float) -> bench.Client:
    """Log in (correctly: django-axes locks out after 20 failures), retrying while the
    database is away, until the deadline."""
    while True:
        client = bench.Client(port, timeout=30)
        try:
            client.login(username)
            return client
        except (OSError, RuntimeError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def entry_form(html: bytes) -> list[tuple[str, str]]:
    for fields in form_list(html):
        if any(k == "version" for k, _v in fields):
            return fields
    raise RuntimeError("no entry form (with a version field) on the page")


def form_list(html: bytes) -> list[list[tuple[str, str]]]:
    """The fields of each <form> on the page, in order."""
    forms: list[list[tuple[str, str]]] = []
    for chunk in html.decode("utf-8", "replace").split("<form")[1:]:
        forms.append(bench.form_fields(("<form" + chunk.split("</form>", 1)[0]).encode()))
    return forms


class Counter:
    def __init__(self, start: int) -> None:
        self.value, self.lock = start, threading.Lock()

    def next(self) -> int:
        with self.lock:
            self.value += 1
            return self.value


def draft_save(client: bench.Client, rec: Recorder, counter: Counter, rows: list[str]) -> None:
    """One draft save through the entry form: the page's fields (and version) as they are, one
    amount changed to a value no save has used."""
    got = rec.timed("entry page", lambda: client.get(f"{DRAFT}/edit/"))
    if got is None or got[0] != 200:
        return
    fields = entry_form(got[2])
    n = counter.next()
    name = rows[n % len(rows)]
    value = 100_000 + n
    body = [(k, v) for k, v in fields if k != name] + [(name, str(value)), ("action", "save")]
    posted = rec.timed("draft save", lambda: client.post(f"{DRAFT}/edit/", body))
    if posted is not None and posted[0] == 302:
        with rec.lock:
            rec.saved.append((client.row_labels[name], f"{value:,}".replace(",", ".")))


def worker_loop(kind: str, port: int, username: str, rec: Recorder, deadline: float, **kw):
    client = None if kind == "health" else login(port, username, deadline)
    if kind == "writer":
        got = client.get(f"{DRAFT}/edit/")
        fields = entry_form(got[2])
        rows = sorted(k for k, _v in fields if k.startswith("amount-"))
        client.row_labels = kw["labels"]
    i = 0
    while time.monotonic() < deadline and i < MAX_ITERATIONS:
        i += 1
        if kind == "reader":
            path = READ_PATHS[i % len(READ_PATHS)]
            rec.timed("page", lambda path=path: client.get(path))
        elif kind == "export":
            path = EXPORT_PATHS[i % len(EXPORT_PATHS)]
            rec.timed("export", lambda path=path: client.get(path))
        elif kind == "writer":
            draft_save(client, rec, kw["counter"], rows)
            time.sleep(0.05)
        elif kind == "importer":
            got = rec.timed("export", lambda: client.get(f"{DRAFT}/export.xlsx"))
            if got is not None and got[0] == 200:
                rec.timed("import preview", lambda got=got: import_preview(client, got[2]))
            time.sleep(0.2)
        elif kind == "health":
            rec.timed("healthz", lambda: bench.request(port, "GET", "/healthz", timeout=5))
            time.sleep(0.05)


def import_preview(client: bench.Client, workbook: bytes):
    return client.post(
        f"{DRAFT}/import/", [], files={"file": ("redegoerelse.xlsx", workbook, XLSX)}
    )


def run_load(port: int, seconds: float, labels: dict, *, health: bool, on_start=None) -> Recorder:
    """Readers, exporters, two writers and an importer (and a /healthz poller) for `seconds`."""
    rec = Recorder()
    deadline = time.monotonic() + seconds
    counter = Counter(int(time.time()) % 100_000 * 10)
    plan = [
        ("reader", "udvalg"),
        ("reader", "udvalg"),
        ("reader", "lyngby"),
        ("export", "udvalg"),
        ("writer", "lyngby"),
        ("writer", "lyngby"),
        ("importer", "lyngby"),
    ]
    if health:
        plan.append(("health", "udvalg"))
    threads = [
        threading.Thread(
            target=guarded,
            args=(kind, port, user, rec, deadline),
            kwargs={"counter": counter, "labels": labels},
            daemon=True,
        )
        for kind, user in plan
    ]
    rec.started = time.monotonic()
    for t in threads:
        t.start()
    if on_start:
        on_start(rec)
    for t in threads:
        t.join(timeout=seconds + 120)
    rec.alive = sum(t.is_alive() for t in threads)
    return rec


def guarded(kind, port, user, rec, deadline, **kw):
    try:
        worker_loop(kind, port, user, rec, deadline, **kw)
    except Exception as error:  # noqa: BLE001 - a thread's failure is reported, not raised
        rec.add(f"{kind} thread", type(error).__name__, 0.0)


def summarize(rec: Recorder) -> list[list[str]]:
    by_kind: dict[str, list] = collections.defaultdict(list)
    for _t, kind, status, seconds in rec.events:
        by_kind[kind].append((status, seconds))
    rows = []
    for kind, items in sorted(by_kind.items()):
        statuses = collections.Counter(str(s) for s, _x in items)
        latencies = sorted(x for _s, x in items)
        p50 = statistics.median(latencies) * 1000
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000
        rows.append(
            [
                kind,
                str(len(items)),
                ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
                f"{p50:.0f}",
                f"{p95:.0f}",
            ]
        )
    return rows


def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


# --- (c) A worker killed inside a transaction ---------------------------------------------------


def socket_inodes(pid: int) -> set[str]:
    out = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                out.add(target[8:-1])
    except OSError:
        pass
    return out


def worker_serving(gunicorn: bench.Gunicorn, client_port: int) -> int | None:
    """The gunicorn worker holding the accepted connection from our client port (/proc/net/tcp:
    local 127.0.0.1:<gunicorn port>, remote 127.0.0.1:<client port>)."""
    local, remote = f"{gunicorn.port:04X}", f"{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[1].endswith(":" + local) and parts[2].endswith(":" + remote):
            inode = parts[9]
    if inode is None:
        return None
    for pid in gunicorn.worker_pids():
        if inode in socket_inodes(pid):
            return pid
    return None


class InFlight(threading.Thread):
    """A POST on its own connection, whose local port is known before the request is sent."""

    def __init__(self, client: bench.Client, path: str, body, files=None) -> None:
        super().__init__(daemon=True)
        self.client, self.path, self.body, self.files = client, path, body, files
        self.client_port = None
        self.ready = threading.Event()
        self.outcome: object = None
        self.answer = b""

    def run(self) -> None:
        import http.client
        import urllib.parse

        c = self.client
        items = list(self.body)
        headers = c._headers({"Referer": f"http://{bench.HOST}:{c.port}{self.path}"})
        if self.files:
            boundary = "----load" + os.urandom(8).hex()
            data = bench.multipart(items, self.files, boundary)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            data = urllib.parse.urlencode(items).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(bench.HOST, c.port, timeout=60)
        try:
            conn.connect()
            self.client_port = conn.sock.getsockname()[1]
            self.ready.set()
            conn.request("POST", self.path, body=data, headers=headers)
            response = conn.getresponse()
            self.answer = response.read()
            self.outcome = response.status
        except Exception as error:  # noqa: BLE001 - the killed worker's connection is expected
            self.outcome = type(error).__name__
        finally:
            self.ready.set()
            conn.close()


def kill_during_transaction(gunicorn, cluster, client, path, body, *, what: str) -> dict:
    """Send `body` to `path` while a SHARE lock on grants_auditentry holds the transaction just
    before its audit INSERT (lines and version already written, not committed); SIGKILL the
    worker serving it; release; report. The caller checks the database and retries."""
    import psycopg2

    conn_str = bench.database_url(cluster.server, DB_NAME)
    locker = psycopg2.connect(conn_str, connect_timeout=10)
    watcher = psycopg2.connect(conn_str, connect_timeout=10)
    watcher.autocommit = True
    report: dict = {"what": what}
    try:
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE grants_auditentry IN SHARE MODE")
        flight = InFlight(client, path, body)
        flight.start()
        flight.ready.wait(10)
        backend = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and backend is None:
            with watcher.cursor() as cur:
                cur.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = "
                    "'Lock' AND query ILIKE 'INSERT INTO \"grants_auditentry\"%%'",
                    [DB_NAME],
                )
                row = cur.fetchone()
                backend = row[0] if row else None
            if backend is None:
                time.sleep(0.02)
        if backend is None:
            flight.join(30)
            raise RuntimeError(
                f"{what}: the request never reached its audit INSERT; it answered "
                f"{flight.outcome}: {flight.answer[:2000]!r}"
            )
        with watcher.cursor() as cur:
            cur.execute(
                "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE l.pid = %s AND l.granted AND l.mode = 'RowExclusiveLock' AND c.relname IN "
                "('grants_allocationline', 'grants_statement') ORDER BY 1",
                [backend],
            )
            report["written_uncommitted"] = [f"{m} on {r}" for r, m in cur.fetchall()]
        report["worker"] = worker_serving(gunicorn, flight.client_port)
        if report["worker"] is None:
            raise RuntimeError(f"{what}: no worker holds the connection from {flight.client_port}")
        os.kill(report["worker"], signal.SIGKILL)
        report["killed_at"] = time.monotonic()
        flight.join(30)
        report["client_saw"] = flight.outcome
    finally:
        locker.rollback()
        locker.close()
    # The backend notices its client is gone once it can go on: wait until it has left.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with watcher.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend])
            if cur.fetchone()[0] == 0:
                break
        time.sleep(0.1)
    watcher.close()
    report["backend_gone"] = time.monotonic() < deadline
    # The master replaces the worker.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(gunicorn.worker_pids()) < 2:
        time.sleep(0.2)
    report["workers_after"] = gunicorn.worker_pids()
    gunicorn.wait_healthy(30)
    return report


# --- The run ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="(a) seconds, default 60")
    parser.add_argument("--restart-duration", type=float, default=30, help="(b) seconds")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/load-test.md")
    args = parser.parse_args()
    started = time.monotonic()
    results: dict = {"checks": []}
    cluster = Cluster()
    workdir = tempfile.mkdtemp(prefix="eldercare-load-")
    static_root = os.path.join(workdir, "static")
    os.makedirs(static_root)
    gunicorn = None

    def check(section: str, name: str, ok: bool, detail: str) -> None:
        results["checks"].append((section, name, ok, detail))
        log(f"  [{'PASS' if ok else 'FAIL'}] {section}: {name} — {detail}")

    try:
        log(f"throwaway PostgreSQL cluster on 127.0.0.1:{cluster.port} in {cluster.dir}")
        cluster.init()
        bench.create_database(cluster.server, DB_NAME)
        env = bench.app_env(
            bench.database_url(cluster.server, DB_NAME),
            static_root,
            CACHE_DIR=os.path.join(workdir, "cache"),  # this run's own page cache
        )
        bench.prepare_database(env, 1)
        bench.collectstatic(env)
        gunicorn = bench.Gunicorn(env, log_dir=workdir)
        gunicorn.start()
        log(f"gunicorn on {gunicorn.base}, workers {gunicorn.worker_pids()}")
        s0 = snapshot(env)
        labels = s0["fields"]

        # (a) Mixed load.
        log(f"(a) mixed read/write/export load for {args.duration:.0f} s")
        rec = run_load(gunicorn.port, args.duration, labels, health=False)
        s1 = snapshot(env)
        rows_a = summarize(rec)
        errors_a = sum(is_error(s) for _t, _k, s, _x in rec.events)
        total_a = len(rec.events)
        check("a", "no 5xx and no failed request", errors_a == 0, f"{errors_a} of {total_a}")
        check("a", "every thread ran to its deadline", rec.alive == 0, f"{rec.alive} still alive")
        for name, ok, detail in check_invariants(s0, s1, rec.saved):
            check("a", name, ok, detail)
        results["a"] = {"rows": rows_a, "total": total_a, "seconds": args.duration}
        results["coherence"] = coherence(gunicorn.port, check)

        # (b) PostgreSQL restart during load.
        log(f"(b) pg_ctl restart -m fast during {args.restart_duration:.0f} s of load")
        window: dict = {}

        def restart_later(rec: Recorder) -> None:
            time.sleep(min(10.0, args.restart_duration / 3))
            window["start"] = time.monotonic()
            cluster.restart()
            window["end"] = time.monotonic()
            log(f"  cluster restarted in {window['end'] - window['start']:.2f} s")

        rec_b = run_load(
            gunicorn.port, args.restart_duration, labels, health=True, on_start=restart_later
        )
        s2 = snapshot(env)
        results["b"] = analyse_restart(rec_b, window, check)
        for name, ok, detail in check_invariants(s1, s2, rec_b.saved):
            check("b", name, ok, detail)

        # (c) A worker killed inside a draft save's transaction, then inside an import's.
        log("(c) gunicorn worker SIGKILLed inside a transaction")
        results["c"] = []
        writer = bench.Client(gunicorn.port)
        writer.login()
        # A draft save.
        before = snapshot(env)
        fields = entry_form(writer.get(f"{DRAFT}/edit/")[2])
        name = sorted(k for k, _v in fields if k.startswith("amount-"))[0]
        body = [(k, v) for k, v in fields if k != name] + [(name, "4242000"), ("action", "save")]
        report = kill_during_transaction(
            gunicorn, cluster, writer, f"{DRAFT}/edit/", body, what="draft save"
        )
        results["c"].append(report)
        after_kill = snapshot(env)
        check(
            "c",
            "draft save killed in its transaction: nothing written",
            after_kill["draft"] == before["draft"] and after_kill["audit"] == before["audit"],
            f"held with {report['written_uncommitted']}; worker {report['worker']} killed; "
            f"client saw {report['client_saw']}",
        )
        status = writer.post(f"{DRAFT}/edit/", body)[0]
        after_retry = snapshot(env)
        report["retry"] = status
        check(
            "c",
            "the same draft save sent again succeeds",
            status == 302 and after_retry["draft"]["lines"][labels[name]] == "4.242.000",
            f"retry answered {status}; line now {after_retry['draft']['lines'][labels[name]]}",
        )
        for n, ok, detail in check_invariants(before, after_retry, [(labels[name], "4.242.000")]):
            check("c", n, ok, detail)
        # An import: the workbook as it is now, then a save, then the import of that workbook
        # (which changes the line back) is killed inside its transaction and retried.
        workbook = writer.get(f"{DRAFT}/export.xlsx")[2]
        fields = entry_form(writer.get(f"{DRAFT}/edit/")[2])
        body = [(k, v) for k, v in fields if k != name] + [(name, "4343000"), ("action", "save")]
        assert writer.post(f"{DRAFT}/edit/", body)[0] == 302
        status, _h, page = import_preview(writer, workbook)
        confirm = form_fields_with(page, "token")  # the token and the CSRF token
        if status != 200 or not dict(confirm).get("token"):
            raise RuntimeError(f"import preview answered {status} without a token")
        before = snapshot(env)
        report = kill_during_transaction(
            gunicorn, cluster, writer, f"{DRAFT}/import/", confirm, what="import"
        )
        results["c"].append(report)
        after_kill = snapshot(env)
        check(
            "c",
            "import killed in its transaction: nothing written",
            after_kill["draft"] == before["draft"] and after_kill["audit"] == before["audit"],
            f"held with {report['written_uncommitted']}; worker {report['worker']} killed; "
            f"client saw {report['client_saw']}",
        )
        status = writer.post(f"{DRAFT}/import/", confirm)[0]
        after_retry = snapshot(env)
        report["retry"] = status
        check(
            "c",
            "the same import confirmation sent again succeeds",
            status == 302 and after_retry["draft"]["lines"][labels[name]] == "4.242.000",
            f"retry answered {status}; line now {after_retry['draft']['lines'][labels[name]]}",
        )
        new = [e for e in after_retry["audit"] if e not in before["audit"]]
        check(
            "c",
            "the import is in the audit trail once",
            len(new) >= 1
            and all(e[1] == "import" for e in new)
            and after_retry["draft"]["version"] == before["draft"]["version"] + 1,
            f"{len(new)} import entries; version {before['draft']['version']} → "
            f"{after_retry['draft']['version']}",
        )
        expected = [(labels[name], "4.242.000")]
        for n, ok, detail in check_invariants(before, after_retry, expected, one_field_saves=False):
            check("c", n, ok, detail)
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    text = render_report(results, args, elapsed)
    print()
    print(text)
    if not args.no_write:
        REPORT.write_text(text + "\n")
        print(f"\nwrote {REPORT.relative_to(ROOT)}")
    return 0 if all(ok for _s, _n, ok, _d in results["checks"]) else 1


def coherence(port: int, check) -> dict:
    """A write must show on every worker's pages at once, cached or not: read the municipality
    page often enough that both workers have it (cached), change the draft's grant through the
    entry form, then read the page again and again (sequential requests land on either
    worker)."""
    page = f"/municipalities/{bench.DRAFT_CODE}/"
    reader, writer = bench.Client(port), bench.Client(port)
    reader.login("udvalg")
    writer.login()
    for _ in range(12):
        reader.get(page)
    fields = entry_form(writer.get(f"{DRAFT}/edit/")[2])
    new_grant = 11_987_654 if dict(fields).get("grant") != "11.987.654" else 11_987_655
    text = f"{new_grant:,}".replace(",", ".")
    body = [(k, v) for k, v in fields if k != "grant"]
    status = writer.post(f"{DRAFT}/edit/", [*body, ("grant", str(new_grant)), ("action", "save")])[
        0
    ]
    seen = [text in reader.get(page)[2].decode() for _ in range(20)]
    check(
        "a",
        "a saved change shows on every worker's pages (caches agree)",
        status == 302 and all(seen),
        f"draft grant saved as {text} (answered {status}); {sum(seen)} of {len(seen)} "
        f"sequential reads of {page} then showed it",
    )
    return {"page": page, "shown": sum(seen), "reads": len(seen), "status": status}


def form_fields_with(html: bytes, name: str) -> list[tuple[str, str]]:
    for fields in form_list(html):
        if any(k == name for k, _v in fields):
            return fields
    return []


def analyse_restart(rec: Recorder, window: dict, check) -> dict:
    if "start" not in window or "end" not in window:
        check("b", "the cluster was restarted", False, "no restart happened")
        return {}
    t0 = rec.started
    start, end = window["start"], window["end"]
    per_second: dict[int, list[int]] = collections.defaultdict(lambda: [0, 0])
    outside = []
    for t, kind, status, _x in rec.events:
        if kind == "healthz":
            continue
        second = int(t - t0)
        per_second[second][0] += 1
        if is_error(status):
            per_second[second][1] += 1
            if not (start - 0.5 <= t <= end + 5):
                outside.append((round(t - t0, 2), kind, status))
    health = [(t, s) for t, kind, s, _x in rec.events if kind == "healthz"]
    down = [t for t, s in health if s == 503]
    before_restart = [s for t, s in health if t < start]
    after = [s for t, s in health if t > end + 5]
    errors = sum(v[1] for v in per_second.values())
    # Once the database is back, each worker's first request still meets its persistent
    # connection (CONN_MAX_AGE) dead: Django closes it after that failed request.
    after_up = [
        (round(t - end, 2), kind, status)
        for t, kind, status, _x in rec.events
        if kind != "healthz" and is_error(status) and t > end
    ]
    check(
        "b",
        "errors confined to the restart plus 5 s",
        not outside,
        f"{errors} errors; outside the window: {outside[:5] or 'none'}",
    )
    check(
        "b",
        "/healthz answered 503 while the database was down",
        bool(down) and all(start - 0.5 <= t <= end + 5 for t in down),
        f"{len(down)} × 503 from +{(min(down) - start) if down else 0:.2f} s to "
        f"+{(max(down) - start) if down else 0:.2f} s after the restart began "
        f"(restart took {end - start:.2f} s)",
    )
    check(
        "b",
        "/healthz answered 200 before and after",
        bool(after) and all(s == 200 for s in after) and all(s == 200 for s in before_restart),
        f"{len(before_restart)} polls before, {len(after)} polls from 5 s after: "
        f"{dict(collections.Counter(str(s) for s in before_restart + after))}",
    )
    check(
        "b",
        "normal service after the window",
        all(not is_error(s) for t, _k, s, _x in rec.events if t > end + 5)
        and any(t > end + 5 for t, _k, _s, _x in rec.events),
        f"{sum(1 for t, _k, _s, _x in rec.events if t > end + 5)} requests after the window",
    )
    timeline = [[f"{s}", str(per_second[s][0]), str(per_second[s][1])] for s in sorted(per_second)]
    return {
        "restart_at": round(start - t0, 2),
        "restart_took": round(end - start, 2),
        "timeline": timeline,
        "rows": summarize(rec),
        "errors": errors,
        "health_503": len(down),
        "after_up": after_up,
    }


def render_report(results: dict, args, elapsed: float) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    checks = results["checks"]
    passed = sum(ok for _s, _n, ok, _d in checks)
    out = [
        "# Load and fault test",
        "",
        "Written by `make load-test` (bench/load.py); rerun it to refresh. Loopback only, every "
        "loop bounded in count and time. A throwaway PostgreSQL 15 cluster (own data directory "
        "and port; the shared server is never restarted), a fresh database with the seed, the "
        "demo accounts, a Lyngby-Taarbæk 2019 draft and the synthetic data at scale 1; gunicorn "
        "with 2 sync workers, DEBUG off, CONN_MAX_AGE=60, on 127.0.0.1.",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'} plus working "
        f"tree, {os.cpu_count()} cores, {elapsed:.0f} s in all. **{passed} of {len(checks)} "
        "checks passed.**",
        "",
        "## Checks",
        "",
        *md_table(
            ["part", "check", "result", "detail"],
            [[s, n, "pass" if ok else "**FAIL**", d.replace("|", "/")] for s, n, ok, d in checks],
        ),
    ]
    if "a" in results:
        a = results["a"]
        out += [
            "",
            f"## (a) Mixed load, {a['seconds']:.0f} s",
            "",
            "Threads: 3 readers (statement pages, overview, initiatives with a filter, a "
            "municipality, a year's comparison), 1 exporter (statement xlsx, the draft's xlsx, "
            "the year export), 2 draft writers (the entry form: version from the page, one "
            "amount changed, `action=save`; 409 is the expected answer when the other writer "
            "saved first), 1 importer (the draft's workbook exported, then uploaded for a "
            "preview). "
            f"{a['total']} requests in all.",
            "",
            *md_table(["request", "count", "status codes", "p50 ms", "p95 ms"], a["rows"]),
        ]
    if results.get("b"):
        b = results["b"]
        out += [
            "",
            f"## (b) PostgreSQL restart during load, {args.restart_duration:.0f} s",
            "",
            f"`pg_ctl restart -m fast` began {b['restart_at']:.1f} s into the load and took "
            f"{b['restart_took']:.2f} s. {b['errors']} failed requests in all "
            f"(5xx or a dropped connection); /healthz answered 503 {b['health_503']} times. "
            + (
                f"{len(b['after_up'])} of them came after pg_ctl reported the database up again "
                f"(seconds after, request, status: {b['after_up'][:6]}): a worker's persistent "
                "connection (CONN_MAX_AGE=60) to the old server fails on its next use, and "
                "Django discards it only after that request has failed."
                if b["after_up"]
                else "None came after pg_ctl reported the database up again: every worker had a "
                "request fail during the outage, after which Django discards its dead persistent "
                "connection and the next request connects afresh."
            ),
            "",
            *md_table(["request", "count", "status codes", "p50 ms", "p95 ms"], b["rows"]),
            "",
            "Requests and errors per second (second 0 = start of the load):",
            "",
            *md_table(["second", "requests", "errors"], b["timeline"]),
        ]
    if results.get("c"):
        out += ["", "## (c) A worker killed inside a transaction", ""]
        for r in results["c"]:
            out.append(
                f"- {r['what']}: held just before its audit INSERT with uncommitted writes "
                f"({', '.join(r.get('written_uncommitted', []))}); worker {r.get('worker')} got "
                f"SIGKILL; the client saw `{r.get('client_saw')}`; PostgreSQL ended the orphaned "
                f"backend: {r.get('backend_gone')}; workers after: {r.get('workers_after')}; "
                f"the same request sent again answered {r.get('retry')}."
            )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
