"""Mixed load and faults: `make load-test` (or `.venv/bin/python -m bench.load`).

A throwaway PostgreSQL cluster (own data directory and port: the shared server is never touched),
a database prepared as for `make bench` at scale 1, and gunicorn. Then (a) the mixed load of
bench/locustfile.py; (b) the same load while the cluster restarts; (c) a gunicorn worker SIGKILLed
while a draft save, then an import, is inside its transaction. The invariants after each; the
report in docs/load-test.md. docs/benchmarks.md says what each part checks.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import django
import psycopg2
import requests

from bench.common import (
    BIN,
    DRAFT,
    HOST,
    ROOT,
    Gunicorn,
    app_env,
    form_values,
    free_port,
    fresh_database,
    log,
    login,
    prepare,
    stamp,
)

# grants.* is imported inside the functions that read the database: Django is set up in main(),
# once the throwaway cluster's address is known.
PG_BIN = Path("/usr/lib/postgresql/15/bin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHECKS: list[tuple[str, str, bool, str]] = []


def check(part: str, name: str, ok: object, detail: str) -> None:
    CHECKS.append((part, name, bool(ok), detail.replace("|", "/")))
    log(f"  [{'PASS' if ok else 'FAIL'}] {part}: {name} — {detail}")


def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


class Cluster:
    """initdb and pg_ctl as the postgres OS user, in a temporary directory, on its own port."""

    def __init__(self) -> None:
        self.dir, self.port = tempfile.mkdtemp(prefix="eldercare-pg-"), free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self.server = f"postgres://postgres@{HOST}:{self.port}"
        self.run("initdb", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.run("pg_ctl", "start")

    def run(self, tool: str, *args: str) -> None:
        if tool == "pg_ctl":
            options = f"-p {self.port} -k {self.dir} -c listen_addresses={HOST}"
            args = ("-l", f"{self.dir}/log", "-w", "-t", "30", "-o", options, *args)
        command = ["runuser", "-u", "postgres", "--", PG_BIN / tool, "-D", f"{self.dir}/data"]
        subprocess.run([*command, *args], cwd="/", check=True, capture_output=True, timeout=90)

    def destroy(self) -> None:
        try:
            self.run("pg_ctl", "stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- The audit-trail invariant: the ONE place that reads the audit trail ------------------------
# One AuditEvent per save, its AuditChange rows naming the form row and holding integer amounts.
AUDIT_TABLE = "grants_auditchange"  # a save's last write in its transaction: (c) holds it there


def audit_saves(statement) -> list[tuple[int, str, dict[int, int | None]]]:
    """The statement's recorded saves, oldest first: (id, action, {form row id: amount after})."""
    from grants.models import AuditChange, AuditEvent

    events = AuditEvent.objects.filter(statement=statement).prefetch_related("changes")
    return [
        (
            e.pk,
            e.action,
            {
                c.row_id: c.after_amount
                for c in e.changes.all()
                if c.field == AuditChange.Field.AMOUNT
            },
        )
        for e in events.order_by("pk")
    ]


def snapshot() -> dict:
    """The draft as stored, its audit trail, and the submitted statements that do not balance."""
    from django.db import connection, transaction

    from grants.models import Statement
    from grants.permissions import statement_queryset
    from grants.rules import statement_figures

    connection.close()  # the server may have restarted since the last query
    # One snapshot of the database for all the reads: a request still in flight may commit.
    with transaction.atomic():
        connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        draft = statement_queryset().get(
            grant__municipality__code="173", grant__grant_year__year=2019
        )
        submitted = statement_queryset().filter(status=Statement.Status.SUBMITTED)
        unbalanced = [
            str(s)
            for s in submitted.iterator(chunk_size=500)
            if any(issue.code == "unbalanced" for issue in statement_figures(s).errors)
        ]
        lines = {line.row_id: line.amount for line in draft.lines.all()}
        return {
            "unbalanced": unbalanced,
            "draft": (draft.status, draft.version, draft.grant.amount, draft.box1, lines),
            "version": draft.version,
            "lines": lines,
            "audit": audit_saves(draft),
        }


def check_invariants(part: str, before: dict, after: dict, saved: list, one_field_saves=True):
    """Submitted statements balance; the draft's lines are what its audit trail since `before`
    says; a version bump per recorded save (each save of (a) and (b) changes one field); every
    save answered 302 (`saved`: (row id, amount) pairs) is in the trail."""
    unbalanced = after["unbalanced"]
    check(part, "every submitted statement balances", not unbalanced, f"unbalanced: {unbalanced}")
    new = after["audit"][len(before["audit"]) :]
    expected = dict(before["lines"])
    for _id, _action, changes in new:
        expected.update(changes)
    wrong = {r: (a, expected.get(r)) for r, a in after["lines"].items() if expected.get(r) != a}
    detail = f"{len(new)} new saves; lines the trail does not explain: {wrong}"
    check(part, "the draft's lines are exactly what its audit trail says", not wrong, detail)
    if one_field_saves:
        detail = f"version {before['version']} → {after['version']}, {len(new)} new saves"
        ok = after["version"] - before["version"] == len(new)
        check(part, "one version bump per recorded save (no partial write)", ok, detail)
    trail = {(row, amount) for _id, _action, changes in new for row, amount in changes.items()}
    missing = [s for s in saved if s not in trail]
    # More saves than answers: a save can commit and its answer be lost (the server went away
    # after the COMMIT); it is whole and recorded, and sent again it meets the newer version.
    detail = f"{len(saved)} saves answered 302, {len(new)} recorded; missing: {missing}"
    check(part, "every save answered 302 is in the audit trail", not missing, detail)


def failed(status: object) -> bool:
    return not isinstance(status, int) or status == 0 or status >= 500


def run_load(app: Gunicorn, seconds: float, workdir: str, tag: str, during=None) -> dict:
    """bench/locustfile.py's users (and the /healthz poller when `during` is given) for
    `seconds`, and `during()` meanwhile. Returns every request, as its event hook recorded it
    (locust's own --csv stats lag up to a second behind the end of the run)."""
    users = ["Reader", "Exporter", "Writer", "Importer"] + (["Health"] if during else [])
    n = str(8 if during else 7)  # their fixed_count
    options = f"--headless -u {n} -r {n} -t {seconds:.0f}s --only-summary --loglevel WARNING"
    command = [BIN / "locust", "-f", "bench/locustfile.py", *options.split(), "--host", app.base]
    env = {**os.environ, "LOAD_EVENTS": f"{workdir}/{tag}.jsonl", "PYTHONPATH": str(ROOT)}
    started = time.time()
    with open(f"{workdir}/{tag}.log", "w") as out:
        proc = subprocess.Popen([*command, *users], cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            window = during() if during else None
            proc.wait(seconds + 120)
        finally:
            proc.kill()
    events = [json.loads(line) for line in Path(f"{workdir}/{tag}.jsonl").read_text().splitlines()]
    saved = [
        (int(e["row"].removeprefix("amount-")), e["amount"])
        for e in events
        if e["name"] == "draft save" and e["status"] == 302
    ]
    return {"started": started, "events": events, "window": window, "saved": saved}


def table(run: dict) -> list[str]:
    by_name = collections.defaultdict(list)
    for e in run["events"]:
        by_name[e["name"]].append(e)
    lines = ["| request | count | status codes | p50 ms | p95 ms |", "|---|--:|---|--:|--:|"]
    for name, events in sorted(by_name.items()):
        codes = collections.Counter(str(e["status"]) for e in events)
        ms = sorted(e["ms"] for e in events)
        p50, p95 = ms[len(ms) // 2], ms[int(len(ms) * 0.95)]
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(codes.items()))
        lines.append(f"| {name} | {len(events)} | {codes} | {p50:.0f} | {p95:.0f} |")
    return lines


def caches_agree(base: str) -> None:
    """A write shows on every worker's pages at once: the municipality page read until both
    workers have it cached, the draft's grant changed, then the page read again."""
    reader, writer, page = login(base, "udvalg"), login(base), f"{base}/municipalities/173/"
    for _ in range(12):
        reader.get(page, timeout=30)
    fields = form_values(writer.get(f"{base}{DRAFT}/edit/", timeout=30).text, "version")
    grant = 11_987_654 if dict(fields).get("grant") != "11.987.654" else 11_987_655
    body = [(k, v) for k, v in fields if k != "grant"] + [("grant", grant), ("action", "save")]
    status = writer.post(f"{base}{DRAFT}/edit/", body, allow_redirects=False, timeout=30)
    text = f"{grant:,}".replace(",", ".")
    seen = sum(text in reader.get(page, timeout=30).text for _ in range(20))
    detail = f"grant saved as {text} ({status.status_code}); {seen} of 20 reads then showed it"
    check("a", "a saved change shows on every worker's pages", seen == 20, detail)


def check_restart(run: dict) -> str:
    (start, end), t0 = run["window"], run["started"]
    pages = [e for e in run["events"] if e["name"] != "healthz"]
    health = [(e["t"], e["status"]) for e in run["events"] if e["name"] == "healthz"]
    errors = [(round(e["t"] - t0, 2), e["name"], e["status"]) for e in pages if failed(e["status"])]
    outside = [e for e in errors if not start - t0 - 0.5 <= e[0] <= end - t0 + 5]
    detail = f"{len(errors)} failed requests; outside the window: {outside[:5]}"
    check("b", "errors confined to the restart plus 5 s", not outside, detail)
    down = [round(t - start, 2) for t, status in health if status == 503]
    detail = f"503 at {down} s after the restart began (it took {end - start:.2f} s)"
    ok = down and all(-0.5 <= t <= end - start + 5 for t in down)
    check("b", "/healthz answered 503 while the database was down", ok, detail)
    calm = [status for t, status in health if t < start or t > end + 5]
    detail = f"outside the window: {dict(collections.Counter(calm))}"
    check("b", "/healthz answered 200 before and after", calm and set(calm) == {200}, detail)
    later = [e for e in pages if e["t"] > end + 5]
    ok = later and not any(failed(e["status"]) for e in later)
    check("b", "normal service after the window", ok, f"{len(later)} requests after it")
    took = f"{end - start:.2f} s"
    return f"`pg_ctl restart -m fast` began {start - t0:.1f} s into the load and took {took}."


def kill_inside_transaction(app: Gunicorn, database: str, post, path: str, data, what: str):
    """Send the POST while a lock on the audit table holds its transaction just before the audit
    INSERT (its other writes done, not committed); SIGKILL the worker serving it; release. Then
    check that nothing was written, and that the same POST sent again succeeds."""
    before = snapshot()
    locker = psycopg2.connect(database, connect_timeout=10)
    watcher = psycopg2.connect(database, connect_timeout=10)
    watcher.autocommit = True
    cursor, answer = watcher.cursor(), {}

    def send() -> None:
        try:
            answer["status"] = post(path, data).status_code
        except requests.RequestException as error:
            answer["status"] = type(error).__name__

    def waiting_backend() -> tuple | None:
        query = "SELECT pid, client_port FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        cursor.execute(query + "AND query LIKE %s", [f'INSERT INTO "{AUDIT_TABLE}"%'])
        return cursor.fetchone()

    try:
        locker.cursor().execute(f'LOCK TABLE "{AUDIT_TABLE}" IN SHARE MODE')
        flight = threading.Thread(target=send, daemon=True)
        flight.start()
        if not wait_until(waiting_backend, 15):
            flight.join(30)
            raise RuntimeError(f"{what} never reached its audit INSERT; it answered {answer}")
        pid, port = waiting_backend()
        cursor.execute(
            "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE "
            "l.pid = %s AND l.granted AND l.mode = 'RowExclusiveLock' AND c.relkind = 'r'",
            [pid],
        )
        written = [name for (name,) in cursor.fetchall() if name.startswith("grants_")]
        workers = [w for w in app.workers() for c in w.net_connections() if c.laddr.port == port]
        if not workers:
            raise RuntimeError(f"{what}: no gunicorn worker holds database port {port}")
        worker = workers[0]
        worker.kill()
        flight.join(30)
    finally:
        locker.rollback()
        locker.close()

    def backend_gone() -> bool:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is None

    gone = wait_until(backend_gone, 20)
    watcher.close()
    wait_until(lambda: len(app.workers()) == 2, 30)
    app.wait_healthy(30)
    after = snapshot()
    detail = (
        f"held with uncommitted writes to {written}; worker {worker.pid} got SIGKILL; the client "
        f"saw {answer.get('status')}; PostgreSQL ended the orphaned backend: {gone}"
    )
    check("c", f"{what} killed in its transaction: nothing written", after == before, detail)
    return before, post(path, data).status_code


def kill_tests(app: Gunicorn, database: str) -> None:
    writer = login(app.base)

    def post(path: str, data, **kw) -> requests.Response:
        return writer.post(app.base + path, data, allow_redirects=False, timeout=60, **kw)

    def entry_form(amount: int) -> tuple[list, int]:
        """The entry form as the page has it, with its first amount set to `amount`."""
        fields = form_values(writer.get(f"{app.base}{DRAFT}/edit/", timeout=30).text, "version")
        row = sorted(k for k, _v in fields if k.startswith("amount-"))[0]
        body = [(k, v) for k, v in fields if k != row] + [(row, amount), ("action", "save")]
        return body, int(row.removeprefix("amount-"))

    body, row = entry_form(4_242_000)
    before, status = kill_inside_transaction(app, database, post, f"{DRAFT}/edit/", body, "a save")
    after = snapshot()
    ok = status == 302 and after["lines"][row] == 4_242_000
    check("c", "the same draft save sent again succeeds", ok, f"answered {status}")
    check_invariants("c", before, after, [(row, 4_242_000)])
    # The workbook as it is now; a save changes the line; the import changes it back.
    workbook = writer.get(f"{app.base}{DRAFT}/export.xlsx", timeout=30).content
    post(f"{DRAFT}/edit/", entry_form(4_343_000)[0])
    token = {"csrfmiddlewaretoken": writer.cookies["csrftoken"]}
    preview = post(f"{DRAFT}/import/", token, files={"file": ("r.xlsx", workbook, XLSX)})
    confirm = form_values(preview.text, "token")
    before, status = kill_inside_transaction(
        app, database, post, f"{DRAFT}/import/", confirm, "an import"
    )
    after = snapshot()
    new = after["audit"][len(before["audit"]) :]
    ok = status == 302 and after["lines"][row] == 4_242_000
    ok = ok and after["version"] == before["version"] + 1 and {a for _i, a, _c in new} == {"import"}
    detail = f"answered {status}; version {before['version']} → {after['version']}; trail {new}"
    check("c", "the same import sent again succeeds, recorded as one import", ok, detail)
    check_invariants("c", before, after, [(row, 4_242_000)], one_field_saves=False)


def report(load: dict, restart: dict, restart_text: str, elapsed: float) -> str:
    passed = sum(ok for _p, _n, ok, _d in CHECKS)
    lines = [
        "# Load and fault test",
        "",
        f"Written by `make load-test` (bench/load.py), {stamp(elapsed)}; docs/benchmarks.md says "
        f"how it runs. **{passed} of {len(CHECKS)} checks passed.**",
        "",
        "| part | check | result | detail |",
        "|---|---|---|---|",
    ]
    lines += [f"| {p} | {n} | {'pass' if ok else '**FAIL**'} | {d} |" for p, n, ok, d in CHECKS]
    lines += ["", "## (a) Mixed load", "", *table(load), ""]
    lines += ["## (b) PostgreSQL restart during load", "", restart_text, "", *table(restart)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="(a) seconds, default 60")
    parser.add_argument("--restart-duration", type=float, default=30, help="(b) seconds")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/load-test.md")
    args = parser.parse_args()
    started, workdir = time.monotonic(), tempfile.mkdtemp(prefix="eldercare-load-")
    cluster, app = Cluster(), None

    def restart() -> tuple[float, float]:
        time.sleep(min(10, args.restart_duration / 3))
        start = time.time()
        cluster.run("pg_ctl", "restart", "-m", "fast")
        return start, time.time()

    try:
        log(f"throwaway PostgreSQL cluster on {cluster.server}")
        database = fresh_database(cluster.server, "eldercare_load")
        env = app_env(database, workdir)
        prepare(env, 1)
        os.environ.update(env)  # this process reads the database through the ORM
        django.setup()
        app = Gunicorn(env, workdir)
        before = snapshot()
        log(f"(a) mixed load for {args.duration:.0f} s")
        load = run_load(app, args.duration, workdir, "a")
        errors = [e for e in load["events"] if failed(e["status"])]
        check("a", "no failed request", not errors, f"{len(errors)} of {len(load['events'])}")
        check_invariants("a", before, snapshot(), load["saved"])
        caches_agree(app.base)
        before = snapshot()
        log(f"(b) pg_ctl restart -m fast during {args.restart_duration:.0f} s of load")
        restarted = run_load(app, args.restart_duration, workdir, "b", during=restart)
        restart_text = check_restart(restarted)
        check_invariants("b", before, snapshot(), restarted["saved"])
        log("(c) gunicorn worker SIGKILLed inside a transaction")
        kill_tests(app, database)
    finally:
        if app:
            app.stop()
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(load, restarted, restart_text, time.monotonic() - started)
    print("\n" + text)
    if not args.no_write:
        (ROOT / "docs" / "load-test.md").write_text(text + "\n")
    return 0 if all(ok for _p, _n, ok, _d in CHECKS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
