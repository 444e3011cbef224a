"""Every formula's stored result is what a spreadsheet program computes: LibreOffice, made to
recalculate on load, against what openpyxl (data_only) reads from our files, cell by cell."""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from grants.exports import Book, statement_workbook, year_workbook
from grants.models import GrantYear
from grants.rules import accounts_figures, statement_figures
from grants.services import save_accounts
from tests.conftest import get_statement
from tests.factories import make_statement
from tests.libreoffice import convert, recalculated_rows
from tests.readers import stored_rows

pytestmark = pytest.mark.libreoffice


def same(stored, computed) -> bool:
    if stored in (None, "") or computed in (None, ""):  # a formula giving empty text
        return stored in (None, "") and computed in (None, "")
    return stored == pytest.approx(computed, rel=1e-12)


def assert_stored_results_recalculate(data: bytes, tmp_path: Path) -> int:
    """Compare every formula cell of every sheet; return how many there were."""
    path = tmp_path / "ours.xlsx"
    path.write_bytes(data)
    recalculated = load_workbook(convert(path, tmp_path / "lo", "xlsx"), data_only=True)
    formulas = load_workbook(BytesIO(data))
    stored = load_workbook(BytesIO(data), data_only=True)
    count = 0
    for ws in formulas:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                count += 1
                ours = stored[ws.title][cell.coordinate].value
                theirs = recalculated[ws.title][cell.coordinate].value
                assert same(ours, theirs), (ws.title, cell.coordinate, cell.value, ours, theirs)
    return count


def test_libreoffice_recalculates_rather_than_echoing_the_stored_result(tmp_path):
    """The check below means something only if LibreOffice computes for itself."""
    book = Book()
    sheet = book.sheet("Ark")
    sheet.amount(1, 1, 1)
    sheet.amount(2, 1, 2)
    sheet.formula(3, 1, "=SUM(A1:A2)", 999)  # deliberately wrong
    path = tmp_path / "wrong.xlsx"
    path.write_bytes(book.close())
    assert stored_rows(path.read_bytes(), "Ark")[2] == [999]
    assert recalculated_rows(path, tmp_path / "out")[2] == ["3"]


def test_statement_and_regnskab_store_what_libreoffice_computes(lyngby, tmp_path):
    s = get_statement("173", 2018)
    actuals = {line.row_id: (line.amount or 0) + 1_000 for line in s.lines.all()}
    unknown = [line.row_id for line in s.lines.all() if line.row.code == "kvalitet"]
    actuals.update(dict.fromkeys(unknown))  # unknown: empty difference and share
    save_accounts(statement=s, actuals=actuals, acting_user=lyngby, expected_version=s.version)
    s = get_statement("173", 2018)
    data = statement_workbook(s, statement_figures(s), accounts_figures(s))
    # 2 x (Samlet beløb, Udmøntning i alt); 12 rows x (difference, share), 2 x 3 totals, unspent
    assert assert_stored_results_recalculate(data, tmp_path) == 4 + 24 + 6 + 1


def test_year_workbook_stores_what_libreoffice_computes(seed, tmp_path):
    make_statement("167", 2018, {"livskvalitet": 1_000, "andet": 500}, submitted=False)
    data = year_workbook(GrantYear.objects.get(programme__slug="vaerdighed", year=2018))
    assert assert_stored_results_recalculate(data, tmp_path) > 4
