"""Spreadsheet speed and memory: `make bench-spreadsheets` (pytest-benchmark; docs/benchmarks.md).

On the test database (SQLite unless DATABASE_URL names another) with the seed and the synthetic
data at scale 1, so the year export has 98 statements. pytest-benchmark times each function and
shows each row of a group as a multiple of the group's fastest (the bare workbook is the floor);
tracemalloc measures the Python heap. Prints figures; asserts only that hostile files are refused.
"""

import tempfile
import tracemalloc
from io import BytesIO

import pytest
import xlsxwriter
from django.conf import settings
from django.db import transaction
from openpyxl import Workbook

from bench.synthetic import create_synthetic
from budgets.seed import load_seed
from grants import cache
from grants.exports import year_workbook
from grants.imports import WorkbookRefused, parse_statement_workbook
from grants.models import GrantYear, Statement
from grants.services import import_statement
from grants.views import export_statement_bytes
from tests.spreadsheets.test_import import HOSTILE

settings.CACHES["default"]["LOCATION"] = tempfile.mkdtemp(prefix="eldercare-bench-cache-")
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def data(django_db_setup, django_db_blocker) -> None:
    with django_db_blocker.unblock():
        load_seed()
        create_synthetic(1)


def statement_2018(code: str) -> Statement:
    return Statement.objects.select_related("grant").get(
        grant__municipality__code=code, grant__grant_year__year=2018
    )


def peak_heap_mb(function, *args) -> float:
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@pytest.mark.benchmark(group="one statement")
def test_bare_40_row_workbook(benchmark) -> None:
    """The floor: 40 rows of a label and an amount (#,##0) by XlsxWriter, in memory, as the
    exports write."""

    def bare() -> bytes:
        buffer = BytesIO()
        wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
        ws = wb.add_worksheet()
        amount = wb.add_format({"num_format": "#,##0"})
        for r in range(40):
            ws.write_string(r, 0, f"Række {r + 1}")
            ws.write_number(r, 1, (r + 1) * 1000, amount)
        wb.close()
        return buffer.getvalue()

    benchmark(bare)


@pytest.mark.benchmark(group="one statement")
def test_bare_40_row_openpyxl_workbook(benchmark) -> None:
    """The same 40 rows by openpyxl (the floor until the exports moved to XlsxWriter)."""

    def bare() -> bytes:
        wb = Workbook()
        for r in range(1, 41):
            wb.active.append([f"Række {r}", r * 1000])
            wb.active.cell(r, 2).number_format = "#,##0"
        wb.save(buffer := BytesIO())
        return buffer.getvalue()

    benchmark(bare)


@pytest.mark.benchmark(group="one statement")
def test_export_statement_as_served(benchmark) -> None:
    """The statement workbook less HTTP: built once per data version, then cached."""

    def export() -> bytes:
        s = statement_2018("173")
        return cache.for_statement(s, "xlsx", lambda: export_statement_bytes(s.pk))

    benchmark(export)


@pytest.mark.benchmark(group="one statement")
def test_export_statement_uncached(benchmark) -> None:
    """A draft, or the first export of a version: query, figures, workbook."""
    benchmark(lambda: export_statement_bytes(statement_2018("173").pk))


@pytest.mark.benchmark(group="one statement")
def test_import_statement(benchmark) -> None:
    """Parse a workbook and apply it to a draft (rolled back after each round)."""
    workbook = export_statement_bytes(statement_2018("101").pk)

    def import_one() -> None:
        with transaction.atomic():
            s = statement_2018("101")
            Statement.objects.filter(pk=s.pk).update(status=Statement.Status.DRAFT)
            s.status = Statement.Status.DRAFT
            parsed = parse_statement_workbook(workbook)
            import_statement(
                statement=s,
                parsed=parsed,
                acting_user=None,
                filename="b.xlsx",
                expected_version=s.version,
            )
            transaction.set_rollback(True)

    benchmark(import_one)


@pytest.mark.benchmark(group="year")
def test_export_year(benchmark) -> None:
    grant_year = GrantYear.objects.get(programme__slug="vaerdighed", year=2018)
    benchmark.pedantic(year_workbook, args=(grant_year,), rounds=3)
    count = Statement.objects.filter(grant__grant_year=grant_year).count()
    heap = peak_heap_mb(year_workbook, grant_year)
    print(f"\nyear export, {count} statements: peak Python heap {heap:.1f} MB (target: 200 MB RSS)")


@pytest.mark.benchmark(group="hostile files, refused")
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_refused(benchmark, name: str) -> None:
    content = HOSTILE[name][0]()

    def refuse() -> None:
        with pytest.raises(WorkbookRefused):
            parse_statement_workbook(content)

    benchmark.pedantic(refuse, rounds=5)
    heap = peak_heap_mb(refuse)
    print(f"\n{name}: {len(content) / 1024:.0f} kB refused, peak Python heap {heap:.1f} MB")
