"""Spreadsheet speed and memory (issue: spreadsheets both ways). Prints figures; asserts nothing.

    make bench-spreadsheets       (or: .venv/bin/python bench/spreadsheets.py)

Runs against a throwaway SQLite database (or DATABASE_URL if set) with the seed data and the
synthetic national data set at scale 1, so the year export has 98 statements.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eldercare.settings")

import django

django.setup()

from django.core.management import call_command
from openpyxl import Workbook

from bench.synthetic import create_synthetic
from grants import cache
from grants.exports import statement_workbook, year_workbook
from grants.imports import parse_statement_workbook
from grants.models import (
    GrantYear,
    Statement,
)
from grants.permissions import statement_queryset
from grants.rules import statement_figures
from grants.services import import_statement
from grants.views import export_statement_bytes


def timed(fn, repeat: int) -> float:
    """Median wall time of `repeat` runs, in milliseconds."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (1024 * 1024)


def bare_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in range(1, 41):
        ws.cell(r, 1).value = f"Række {r}"
        ws.cell(r, 2).value = r * 1000
        ws.cell(r, 2).number_format = "#,##0"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


RSS_SCRIPT = """
import os, resource, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "eldercare.settings"
sys.path.insert(0, {root!r})
import django
django.setup()
from grants.exports import year_workbook
from grants.models import GrantYear
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
{work}
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after)
"""


def rss_mb(work: str) -> tuple[float, float]:
    """Peak resident memory (MB) of a fresh process before and after `work`."""
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT.format(root=root, work=work)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    ).stdout.split()
    return int(out[0]) / 1024, int(out[1]) / 1024


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("load_seed", verbosity=0)
    create_synthetic(1)
    grant_year = GrantYear.objects.get(year=2018)

    def export_one() -> bytes:
        """What /statements/173/2018/export.xlsx does, less HTTP: a submitted statement's
        workbook is built once per version and then served from the cache."""
        s = Statement.objects.select_related("grant").get(
            grant__municipality__code="173", grant__grant_year__year=2018
        )
        return cache.for_statement(s, "xlsx", lambda: export_statement_bytes(s.pk))

    def export_one_uncached() -> bytes:
        """A draft, or the first export of a version: query, figures, workbook."""
        return export_statement_bytes(
            Statement.objects.get(grant__municipality__code="173", grant__grant_year__year=2018).pk
        )

    data = statement_workbook(
        *(lambda s: (s, statement_figures(s)))(
            statement_queryset().get(grant__municipality__code="101", grant__grant_year__year=2018)
        )
    )

    def import_one() -> None:
        parsed = parse_statement_workbook(data)
        s = statement_queryset().get(grant__municipality__code="101", grant__grant_year__year=2018)
        s.status = "draft"  # measure the full apply path on a draft (rolled back below)
        from django.db import transaction

        with transaction.atomic():
            s.save(update_fields=["status"])
            import_statement(
                statement=s,
                parsed=parsed,
                acting_user=None,
                filename="b.xlsx",
                expected_version=s.version,
            )
            transaction.set_rollback(True)

    statements_in_year = statement_queryset().filter(grant__grant_year=grant_year).count()
    floor = timed(bare_workbook, 30)
    one = timed(export_one, 30)
    uncached = timed(export_one_uncached, 30)
    imp = timed(import_one, 20)
    year = timed(lambda: year_workbook(grant_year), 3)
    year_peak = peak_mb(lambda: year_workbook(grant_year))
    rss_before, rss_after = rss_mb("year_workbook(GrantYear.objects.get(year=2018))")

    print(f"database: {django.db.connection.vendor}")
    print(f"bare 40-row workbook (floor):   {floor:8.1f} ms")
    print(
        f"export one statement (cached):  {one:8.1f} ms   ({one / floor:.2f} x floor; target 1.5 x)"
    )
    print(f"export one statement (uncached):{uncached:8.1f} ms   ({uncached / floor:.2f} x floor)")
    print(f"import one statement:           {imp:8.1f} ms")
    print(f"export a year ({statements_in_year} statements): {year:8.1f} ms   (target 3000 ms)")
    print(f"year export peak memory:        {year_peak:8.1f} MB   Python heap (tracemalloc)")
    print(
        f"year export process peak RSS:   {rss_after:8.1f} MB   "
        f"(after start-up {rss_before:.1f} MB; target 200 MB)"
    )


def hostile_figures() -> None:
    """How fast, and with how little memory, each hostile file of the test corpus is refused."""
    from grants.imports import WorkbookRefused
    from tests.spreadsheets.test_import import HOSTILE

    print("\nhostile files (refused before openpyxl parses them):")
    for name, (make, _message) in HOSTILE.items():
        data = make()
        tracemalloc.start()
        started = time.perf_counter()
        try:
            parse_statement_workbook(data)
            outcome = "ACCEPTED (!)"
        except WorkbookRefused:
            outcome = "refused"
        elapsed = (time.perf_counter() - started) * 1000
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"  {name:42} {len(data) / 1024:9.0f} kB  {outcome:8} {elapsed:8.1f} ms "
            f"{peak / 1024 / 1024:6.1f} MB peak"
        )


if __name__ == "__main__":
    main()
    hostile_figures()
