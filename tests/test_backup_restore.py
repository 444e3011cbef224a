"""Backups (docs/deploy.md, "Backups and restore"): a pg_dump of the database in custom format,
restored with pg_restore into a fresh database, holds every statement figure for figure.

PostgreSQL only: the test dumps the test database itself, so its data must be committed
(transaction=True), and it creates and drops a database of its own beside it.
"""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from bench.synthetic import create_synthetic
from grants.models import AllocationLine, AuditChange, Statement

PG_BIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump and pg_restore need the test database on PostgreSQL (set DATABASE_URL)",
)


def pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidate = PG_BIN / name
    return str(candidate) if candidate.exists() else None


def libpq_args(settings_dict: dict, dbname: str) -> tuple[list[str], dict[str, str]]:
    """Command-line connection options for pg_dump/pg_restore, and the environment (password)."""
    args = ["-U", settings_dict.get("USER") or "postgres", "-d", dbname]
    if settings_dict.get("HOST"):
        args += ["-h", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return args, env


def connect(settings_dict: dict, dbname: str):
    conn = psycopg2.connect(
        dbname=dbname,
        user=settings_dict.get("USER") or "postgres",
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        connect_timeout=10,
    )
    conn.autocommit = True
    return conn


def source_statements() -> dict:
    """Every statement as the application's models hold it."""
    out = {}
    statements = Statement.objects.select_related("grant__municipality", "grant__grant_year")
    for s in statements:
        out[(s.grant.municipality.code, s.grant.grant_year.year)] = {
            "status": s.status,
            "grant": s.grant.amount,
            "box1": s.box1,
            "box2_confirmed": s.box2_confirmed,
            "version": s.version,
            "lines": [],
        }
    lines = AllocationLine.objects.select_related(
        "row", "statement__grant__municipality", "statement__grant__grant_year"
    ).order_by("row__table", "row__position")
    for line in lines:
        grant = line.statement.grant
        out[(grant.municipality.code, grant.grant_year.year)]["lines"].append(
            (line.row.table, line.row.code, line.amount, line.actual, line.specification)
        )
    return out


RESTORED_STATEMENTS = """
SELECT m.code, gy.year, s.status, g.amount, s.box1, s.box2_confirmed, s.version
FROM grants_statement s
JOIN grants_grant g ON g.id = s.grant_id
JOIN grants_municipality m ON m.id = g.municipality_id
JOIN grants_grantyear gy ON gy.id = g.grant_year_id
"""
RESTORED_LINES = """
SELECT m.code, gy.year, r."table", r.code, l.amount, l.actual, l.specification
FROM grants_allocationline l
JOIN grants_formrow r ON r.id = l.row_id
JOIN grants_statement s ON s.id = l.statement_id
JOIN grants_grant g ON g.id = s.grant_id
JOIN grants_municipality m ON m.id = g.municipality_id
JOIN grants_grantyear gy ON gy.id = g.grant_year_id
ORDER BY r."table", r.position
"""


def restored_statements(conn) -> dict:
    out = {}
    with conn.cursor() as cur:
        cur.execute(RESTORED_STATEMENTS)
        for code, year, status, grant, box1, box2, version in cur.fetchall():
            out[(code, year)] = {
                "status": status,
                "grant": grant,
                "box1": box1,
                "box2_confirmed": box2,
                "version": version,
                "lines": [],
            }
        cur.execute(RESTORED_LINES)
        for code, year, table, row_code, amount, actual, spec in cur.fetchall():
            out[(code, year)]["lines"].append((table, row_code, amount, actual, spec))
    return out


@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_restored_into_a_fresh_database_holds_every_statement(seed, tmp_path):
    pg_dump, pg_restore = pg_tool("pg_dump"), pg_tool("pg_restore")
    if not (pg_dump and pg_restore):
        pytest.skip("pg_dump/pg_restore not found (PATH or /usr/lib/postgresql/15/bin)")
    # Committed data: the seed (a submitted statement with real figures, a draft), the synthetic
    # national data set, and text and unknown amounts that a careless backup would mangle.
    create_synthetic(1)
    draft = Statement.objects.get(grant__municipality__code="183", grant__grant_year__year=2016)
    Statement.objects.filter(pk=draft.pk).update(
        box1='Linje 1\nLinje 2: æøå ÆØÅ – "citat" \\ tab\there; 100 % ☃'
    )
    line = draft.lines.order_by("row__table", "row__position").first()
    AllocationLine.objects.filter(pk=line.pk).update(
        amount=None, actual=123_456_789_012, specification="Specifikation med ' og \""
    )
    source = source_statements()
    audit_count = AuditChange.objects.count()
    assert len(source) > 300

    settings_dict = connection.settings_dict
    source_db = settings_dict["NAME"]
    restored_db = f"{source_db}_restore_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "eldercare.dump"
    args, env = libpq_args(settings_dict, source_db)
    subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", "--file", str(dump), *args],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert dump.stat().st_size > 0

    admin = connect(settings_dict, "postgres")
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{restored_db}"')
        args, env = libpq_args(settings_dict, restored_db)
        restore = subprocess.run(
            [pg_restore, "--no-owner", "--exit-on-error", *args, str(dump)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert restore.returncode == 0, restore.stderr
        restored = connect(settings_dict, restored_db)
        try:
            got = restored_statements(restored)
            with restored.cursor() as cur:
                cur.execute("SELECT count(*) FROM grants_auditchange")
                restored_audit = cur.fetchone()[0]
        finally:
            restored.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{restored_db}" WITH (FORCE)')
        admin.close()

    assert got.keys() == source.keys()
    for key, expected in source.items():
        assert got[key] == expected, key
    assert got[("173", 2018)]["grant"] == 11_280_000
    assert got[("173", 2018)]["status"] == "submitted"
    assert got[("183", 2016)]["box1"].startswith("Linje 1\nLinje 2: æøå")
    assert restored_audit == audit_count
