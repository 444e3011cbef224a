"""`make bench-spreadsheets` (docs/benchmarks.md): pytest-benchmark's timings, tracemalloc's peak
Python heap; asserts only that every hostile file is refused within 2 s."""

import tracemalloc
from functools import partial
from io import BytesIO

import pytest
import xlsxwriter

from bench.synthetic import create_synthetic
from budgets.seed import load_seed
from grants import cache
from grants.exports import year_workbook
from grants.imports import WorkbookRefused, parse_statement_workbook
from grants.models import GrantYear, Statement
from grants.views import export_statement_bytes
from tests.spreadsheets.test_import import HOSTILE

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def data(django_db_setup, django_db_blocker) -> None:
    with django_db_blocker.unblock():
        load_seed()
        create_synthetic(1)


def peak_heap_mb(function, *args) -> float:
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bare_workbook() -> bytes:
    """The floor: 40 rows of a label and an amount (#,##0), in memory, as the exports write."""
    wb = xlsxwriter.Workbook(buffer := BytesIO(), {"in_memory": True})
    ws, amount = wb.add_worksheet(), wb.add_format({"num_format": "#,##0"})
    for r in range(40):
        ws.write_string(r, 0, f"Række {r + 1}")
        ws.write_number(r, 1, (r + 1) * 1000, amount)
    wb.close()
    return buffer.getvalue()


def export_statement(cached: bool) -> bytes:
    """Lyngby-Taarbæk's 2018 statement as a workbook, less HTTP: as served (built once per data
    version, then cached) or uncached (a draft, or the first export of a version)."""
    s = Statement.objects.select_related("grant").get(
        grant__municipality__code="173", grant__grant_year__year=2018
    )
    if cached:
        return cache.for_statement(s, "xlsx", lambda: export_statement_bytes(s.pk))
    return export_statement_bytes(s.pk)


@pytest.mark.benchmark(group="one statement")
@pytest.mark.parametrize(
    "function",
    [bare_workbook, partial(export_statement, True), partial(export_statement, False)],
    ids=["bare workbook (the floor)", "export, as served", "export, uncached"],
)
def test_one_statement(benchmark, function) -> None:
    benchmark(function)


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
    assert benchmark.stats.stats.max < 2  # seconds
    heap = peak_heap_mb(refuse)
    print(f"\n{name}: {len(content) / 1024:.0f} kB refused, peak Python heap {heap:.1f} MB")
