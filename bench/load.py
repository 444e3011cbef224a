"""`make load-test`: mixed load and faults on a throwaway PostgreSQL cluster, checked as
docs/benchmarks.md says. Writes the report, docs/load-test.md."""

import collections
import concurrent.futures
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import django
import psutil
import psycopg2

from bench import common

PG_BIN = Path("/usr/lib/postgresql/15/bin")
AUDIT_TABLE = "grants_auditchange"  # a save's last write in its transaction: (b) holds it there
SECONDS, RESTART_AT, SETTLE = 60, 25, 5  # the load, the restart into it, its aftermath allowed
CHECKS: list[tuple[str, str, bool, str]] = []


def check(part: str, name: str, ok: object, detail: str) -> None:
    CHECKS.append((part, name, bool(ok), detail.replace("|", "/")))
    common.log(f"  [{'PASS' if ok else 'FAIL'}] {part}: {name} — {detail}")


def failed(status: object) -> bool:  # no answer (a dropped connection, a timeout), a server error
    return not isinstance(status, int) or status == 0 or status >= 500


class Cluster:
    """initdb and pg_ctl as the postgres OS user: a cluster of its own until `stack` closes."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="eldercare-pg-"))
        self.port = common.free_port()
        self.server = f"postgres://postgres@{common.HOST}:{self.port}"
        shutil.chown(self.dir, "postgres", "postgres")
        self.run("initdb", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.run("pg_ctl", "start")
        stack.callback(self.run, "pg_ctl", "stop", "-m", "immediate")

    def run(self, tool: str, *args: str) -> None:
        if tool == "pg_ctl":
            options = f"-p {self.port} -k {self.dir} -c listen_addresses={common.HOST}"
            args = ("-l", f"{self.dir}/log", "-w", "-t", "30", "-o", options, *args)
        command = ["runuser", "-u", "postgres", "--", PG_BIN / tool, "-D", f"{self.dir}/data"]
        subprocess.run([*command, *args], cwd="/", check=True, capture_output=True, timeout=90)


def snapshot() -> dict:
    """In one REPEATABLE READ snapshot (a request in flight may commit meanwhile): the submitted
    statements that do not balance; the draft's version and lines; its audit trail, the one place
    it is read: its saves (an AuditEvent each), oldest first, as {form row id: amount after}."""
    from django.db import connection, transaction  # Django is set up in main()
    from django.db.models import Prefetch

    from grants.models import AuditChange, AuditEvent, Statement
    from grants.permissions import statement_queryset
    from grants.rules import statement_figures

    connection.close()  # the server may have restarted since the last query
    with transaction.atomic():
        connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        statements = statement_queryset()
        draft = statements.get(grant__municipality__code="173", grant__grant_year__year=2019)
        submitted = statements.filter(status=Statement.Status.SUBMITTED).iterator(chunk_size=500)
        codes = [(s, {issue.code for issue in statement_figures(s).errors}) for s in submitted]
        amounts = Prefetch("changes", AuditChange.objects.filter(field=AuditChange.Field.AMOUNT))
        saves = AuditEvent.objects.filter(statement=draft).order_by("pk").prefetch_related(amounts)
        return {
            "unbalanced": [str(s) for s, found in codes if "unbalanced" in found],
            "version": draft.version,
            "lines": {line.row_id: line.amount for line in draft.lines.all()},
            "audit": [{c.row_id: c.after_amount for c in e.changes.all()} for e in saves],
        }


def check_invariants(part: str, before: dict, after: dict, saved: list) -> None:
    """The invariants after a part, `saved` being its saves answered 302: (row id, amount)."""
    unbalanced = after["unbalanced"]
    check(part, "every submitted statement balances", not unbalanced, f"unbalanced: {unbalanced}")
    new = after["audit"][len(before["audit"]) :]
    trail = [(row, amount) for changes in new for row, amount in changes.items()]
    expected = before["lines"] | dict(trail)
    wrong = {r: (a, expected.get(r)) for r, a in after["lines"].items() if expected.get(r) != a}
    detail = f"{len(new)} new saves; lines the trail does not explain: {wrong}"
    check(part, "the draft's lines are exactly what its audit trail says", not wrong, detail)
    detail = f"version {before['version']} → {after['version']}, {len(new)} new saves"
    ok = after["version"] - before["version"] == len(new)
    check(part, "one version bump per recorded save (no partial write)", ok, detail)
    missing = [s for s in saved if s not in trail]
    # More saves than answers is right: a save can commit and its answer be lost in the restart.
    detail = f"{len(saved)} saves answered 302, {len(new)} recorded; missing: {missing}"
    check(part, "every save answered 302 is in the audit trail", not missing, detail)


def load_with_restart(app: common.Gunicorn, cluster: Cluster, workdir: str) -> None:
    """(a) bench/locustfile.py's users for SECONDS, the cluster restarted RESTART_AT seconds in."""
    before, events_file = snapshot(), f"{workdir}/load.jsonl"
    options = f"--headless -u 7 -r 7 -t {SECONDS}s --only-summary --host {app.base}"
    command = [common.BIN / "locust", "-f", "bench/locustfile.py", *options.split()]
    env = {**os.environ, "LOAD_EVENTS": events_file, "PYTHONPATH": str(common.ROOT)}
    with open(f"{workdir}/locust.log", "w") as out:
        proc = subprocess.Popen(command, cwd=common.ROOT, env=env, stdout=out, stderr=out)
        try:
            time.sleep(RESTART_AT)
            start = time.time()
            cluster.run("pg_ctl", "restart", "-m", "fast")
            end = time.time() - start
            proc.wait(SECONDS + 120)
        finally:
            proc.kill()
    events = [json.loads(line) for line in Path(events_file).read_text().splitlines()]
    for e in events:
        e["t"] -= start  # seconds since the restart began
    errors = [(round(e["t"], 2), e["name"], e["status"]) for e in events if failed(e["status"])]
    outside = [e for e in errors if not -0.5 <= e[0] <= end + SETTLE]
    later = [e for e in events if e["t"] > end + SETTLE]
    counts = dict(collections.Counter(e["name"] for e in events))
    detail = f"{len(errors)} of {counts} failed, {len(later)} after the window; outside: {outside}"
    check("a", "no failed request outside the restart plus 5 s", later and not outside, detail)
    health = [(round(e["t"], 2), e["status"]) for e in events if e["name"] == "healthz"]
    down = [t for t, status in health if status == 503]
    ok = down and all(-0.5 <= t <= end + SETTLE or status == 200 for t, status in health)
    detail = f"503 at {down} s after the restart began (it took {end:.2f} s)"
    check("a", "/healthz answered 503 while the database was down, else 200", ok, detail)
    draft_saves = [e for e in events if e["name"] == "draft save" and e["status"] == 302]
    check_invariants("a", before, snapshot(), [(e["row"], e["amount"]) for e in draft_saves])


def kill_inside_save(app: common.Gunicorn, database: str) -> None:
    """(b) A draft save held by a lock on the audit table at its audit INSERT (its other writes
    done, not committed); its worker (found by its database connection's port) SIGKILLed."""
    writer, before, url = common.login(app.base), snapshot(), f"{app.base}{common.DRAFT}/edit/"
    body, row = common.entry_form(writer.get(url, timeout=30).text, 4_242_000)
    locker, watcher = (psycopg2.connect(database, connect_timeout=10) for _ in range(2))
    watcher.autocommit, cursor = True, watcher.cursor()

    def waiting() -> tuple | None:
        """The save's database backend, waiting for the lock at its audit INSERT."""
        query = "SELECT pid, client_port FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        cursor.execute(query + "AND query LIKE %s", [f'INSERT INTO "{AUDIT_TABLE}"%'])
        return cursor.fetchone()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            locker.cursor().execute(f'LOCK TABLE "{AUDIT_TABLE}" IN SHARE MODE')
            flight = pool.submit(writer.post, url, body, allow_redirects=False, timeout=60)
            if not common.wait_until(waiting, 15):
                raise RuntimeError("the save never reached its audit INSERT")
            port = waiting()[1]
            workers = psutil.Process(app.proc.pid).children()
            [worker] = [w for w in workers for c in w.net_connections() if c.laddr.port == port]
            worker.kill()
            error = flight.exception(30)
        finally:
            locker.close()  # its transaction, and so the lock, ends
    watcher.close()
    app.wait_healthy(30)
    after, seen = snapshot(), type(error).__name__ if error else flight.result().status_code
    detail = f"worker {worker.pid} got SIGKILL; the client saw {seen}"
    check("b", "a save killed in its transaction: nothing written", after == before, detail)
    status = writer.post(url, body, allow_redirects=False, timeout=60).status_code
    after = snapshot()
    ok = status == 302 and after["lines"][row] == 4_242_000
    check("b", "the same draft save sent again succeeds", ok, f"answered {status}")
    check_invariants("b", before, after, [(row, 4_242_000)])


def main() -> int:
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="eldercare-load-"))
        cluster = Cluster(stack)
        common.log(f"throwaway PostgreSQL cluster on {cluster.server}")
        env = common.prepare(cluster.server, "eldercare_load", 1, workdir, stack)
        os.environ.update(env)  # this process reads the database through the ORM
        django.setup()
        app = common.Gunicorn(env, workdir)
        stack.callback(app.stop)
        common.log(f"(a) mixed load for {SECONDS} s, pg_ctl restart -m fast {RESTART_AT} s in")
        load_with_restart(app, cluster, workdir)
        common.log("(b) gunicorn worker SIGKILLed inside a save's transaction")
        kill_inside_save(app, env["DATABASE_URL"])
    passed = sum(ok for _p, _n, ok, _d in CHECKS)
    lines = [
        "# Load and fault test",
        "",
        f"Written by `make load-test` (bench/load.py), {common.stamp(time.monotonic() - started)}; "
        f"docs/benchmarks.md says how it runs. **{passed} of {len(CHECKS)} checks passed.**",
        "",
        "| part | check | result | detail |",
        "|---|---|---|---|",
    ]
    lines += [f"| {p} | {n} | {'pass' if ok else '**FAIL**'} | {d} |" for p, n, ok, d in CHECKS]
    print("\n".join(lines))
    (common.ROOT / "docs" / "load-test.md").write_text("\n".join(lines) + "\n")
    return 0 if passed == len(CHECKS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
