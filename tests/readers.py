"""Our workbooks as readers that never recalculate see them: openpyxl with `data_only=True` and
python-calamine (the reader behind pandas' "calamine" engine). Both show a formula's stored
result, or nothing where none is stored."""

from io import BytesIO

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook


def stored_rows(data: bytes, sheet: str) -> list[list]:
    """The sheet's values by openpyxl, formulas replaced by their stored results."""
    ws = load_workbook(BytesIO(data), data_only=True)[sheet]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def calamine_rows(data: bytes, sheet: str) -> list[list]:
    """The sheet's values by python-calamine (numbers as floats, an empty cell as "")."""
    return CalamineWorkbook.from_filelike(BytesIO(data)).get_sheet_by_name(sheet).to_python()


def by_label(rows: list[list]) -> dict[str, list[list]]:
    """Rows by the text in their first column (a label can occur in both tables)."""
    out: dict[str, list[list]] = {}
    for row in rows:
        if row and isinstance(row[0], str) and row[0]:
            out.setdefault(row[0], []).append(row)
    return out


def printed_on_a4_fitted_to_width(ws, area: str) -> bool:
    """An openpyxl worksheet's print setup: `area` on A4 portrait, one page wide."""
    setup = ws.page_setup
    return (
        ws.print_area == f"'{ws.title}'!{area}"
        and (setup.paperSize, setup.orientation) == (9, "portrait")
        and ws.sheet_properties.pageSetUpPr.fitToPage
        and setup.fitToWidth in (None, 1)  # 1 is the default, which XlsxWriter leaves out
        and setup.fitToHeight == 0
    )
