"""The statement as the ministry's spreadsheet (DESIGN.md §Stable interfaces).

One sheet laid out like the form: each row label in column A, its amount in column B on the same
row, specifications in column C, totals as live =SUM formulas, numbers as numbers (#,##0), user text
always as text. The figures come from grants.rules.statement_figures, like the page's.
"""

import csv
from io import BytesIO, StringIO

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from grants.models import GrantYear, Municipality, Statement
from grants.money import format_kroner
from grants.permissions import statement_queryset
from grants.rules import AccountsFigures, StatementFigures, TableFigures, statement_figures

AMOUNT_FORMAT = "#,##0"
FORMULA_PREFIXES = ("=", "+", "-", "@")
BOLD = Font(bold=True)
THIN = Side(style="thin")
TOTAL_BORDER = Border(top=THIN)

# Labels of the form's fixed rows (the ministry's words, the same every year).
LABEL_MUNICIPALITY = "Kommune:"
LABEL_GRANT = "Tilskud:"
LABEL_TOTAL_GRANT = "Samlet beløb"
LABEL_ALLOCATED = "Udmøntning i alt"
LABEL_AMOUNT_COLUMN = "Kr."
LABEL_SPEC_COLUMN = "Specifikation"
CONFIRMED_MARK = "X"


def put_text(cell: Cell, value: str) -> Cell:
    """Store user text as text, never as a formula (openpyxl turns a leading "=" into one).
    Control characters, which a worksheet cannot hold (openpyxl refuses them), are dropped: the
    forms and imports refuse them, but no stored text may ever break an export for everyone."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value) if value else value
    cell.value = value
    cell.data_type = "s"
    if value and value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


def put_amount(cell: Cell, value: int | None) -> Cell:
    cell.value = value  # None leaves the cell empty: unknown is not 0
    cell.number_format = AMOUNT_FORMAT
    return cell


def _table(ws: Worksheet, row: int, title: str, note: str, table: TableFigures) -> int:
    """Write one table from `row`; return the next free row."""
    put_text(ws.cell(row, 1), title).font = BOLD
    put_text(ws.cell(row, 2), LABEL_AMOUNT_COLUMN).font = BOLD
    put_text(ws.cell(row, 3), LABEL_SPEC_COLUMN).font = BOLD
    row += 1
    put_text(ws.cell(row, 1), LABEL_TOTAL_GRANT)
    put_amount(ws.cell(row, 2), None).value = "=B4"
    row += 1
    first = row
    for figure in table.rows:
        put_text(ws.cell(row, 1), figure.row.label)
        put_amount(ws.cell(row, 2), figure.amount)
        if figure.specification:
            put_text(ws.cell(row, 3), figure.specification)
        row += 1
    last = row - 1
    put_text(ws.cell(row, 1), LABEL_ALLOCATED).font = BOLD
    total = put_amount(ws.cell(row, 2), None)
    total.value = f"=SUM(B{first}:B{last})" if table.rows else 0
    total.font = BOLD
    ws.cell(row, 1).border = ws.cell(row, 2).border = TOTAL_BORDER
    row += 1
    if note:
        cell = put_text(ws.cell(row, 1), f"Note: {note}")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 45
        row += 1
    return row + 1


def write_statement_sheet(ws: Worksheet, statement: Statement, figures: StatementFigures) -> None:
    grant_year = statement.grant.grant_year
    ws.column_dimensions["A"].width = 62
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 45
    put_text(ws.cell(1, 1), grant_year.form_title).font = Font(bold=True, size=14)
    put_text(ws.cell(3, 1), LABEL_MUNICIPALITY)
    put_text(ws.cell(3, 2), statement.grant.municipality.full_name)
    put_text(ws.cell(4, 1), LABEL_GRANT)
    put_amount(ws.cell(4, 2), figures.grant)

    row = _table(ws, 6, grant_year.table1_title, grant_year.table1_note, figures.table1)
    put_text(ws.cell(row, 1), grant_year.box1_title).font = BOLD
    row += 1
    box1 = put_text(ws.cell(row, 1), statement.box1)
    box1.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
    ws.row_dimensions[row].height = min(409, 15 * (statement.box1.count("\n") + 2))
    row += 2
    row = _table(ws, row, grant_year.table2_title, grant_year.table2_note, figures.table2)
    put_text(ws.cell(row, 1), grant_year.box2_title).font = BOLD
    row += 1
    text = put_text(ws.cell(row, 1), grant_year.box2_text)
    text.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 45
    put_text(ws.cell(row, 2), CONFIRMED_MARK if figures.box2_confirmed else "")
    ws.cell(row, 2).alignment = Alignment(horizontal="center", vertical="center")
    ws.cell(row, 2).font = BOLD
    ws.print_area = f"A1:C{row}"
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def statement_filename(statement: Statement) -> str:
    return (
        f"redegoerelse-{statement.grant.municipality.code}-{statement.grant.grant_year.year}.xlsx"
    )


ACCOUNTS_SHEET = "Regnskab"
ACCOUNTS_HEADER = ["Post", "Budget (kr.)", "Regnskab (kr.)", "Forskel (kr.)", "Andel af regnskab"]
LABEL_ACCOUNTS_TOTAL = "I alt"
LABEL_UNSPENT = "Uforbrugt af tilskuddet (negativt: overforbrug)"


def write_accounts_sheet(ws: Worksheet, statement: Statement, accounts: AccountsFigures) -> None:
    """Budget against actual, per row of both tables: the figures of grants.rules, with the
    totals, differences and shares as live formulas over them."""
    ws.column_dimensions["A"].width = 62
    for col in "BCDE":
        ws.column_dimensions[col].width = 17
    title = f"Regnskab for {statement.grant.grant_year.year}: budget og faktisk forbrug"
    put_text(ws.cell(1, 1), title).font = Font(bold=True, size=14)
    put_text(ws.cell(3, 1), LABEL_MUNICIPALITY)
    put_text(ws.cell(3, 2), statement.grant.municipality.full_name)
    put_text(ws.cell(4, 1), LABEL_GRANT)
    put_amount(ws.cell(4, 2), accounts.grant)
    put_text(ws.cell(5, 1), "Status:")
    put_text(ws.cell(5, 2), statement.get_accounts_status_display())
    row = 7
    grant_year = statement.grant.grant_year
    total_rows = []
    for table, title in (
        (accounts.table1, grant_year.table1_title),
        (accounts.table2, grant_year.table2_title),
    ):
        put_text(ws.cell(row, 1), title).font = BOLD
        for c, text in enumerate(ACCOUNTS_HEADER[1:], start=2):
            put_text(ws.cell(row, c), text).font = BOLD
        row += 1
        first = row
        total_row = row + len(table.rows)
        for r in table.rows:
            put_text(ws.cell(row, 1), r.row.label)
            put_amount(ws.cell(row, 2), r.budget)
            put_amount(ws.cell(row, 3), r.actual)
            put_amount(ws.cell(row, 4), None).value = f'=IF(C{row}="","",C{row}-B{row})'
            share = ws.cell(row, 5)
            share.value = f'=IF(OR(C{row}="",C${total_row}=0),"",C{row}/C${total_row})'
            share.number_format = "0.0%"
            row += 1
        put_text(ws.cell(row, 1), LABEL_ACCOUNTS_TOTAL).font = BOLD
        for c, col in ((2, "B"), (3, "C"), (4, "D")):
            cell = put_amount(ws.cell(row, c), None)
            cell.value = f"=SUM({col}{first}:{col}{row - 1})"
            cell.font = BOLD
            cell.border = TOTAL_BORDER
        total_rows.append(row)
        row += 2
    put_text(ws.cell(row, 1), LABEL_UNSPENT).font = BOLD
    unspent = put_amount(ws.cell(row, 3), None)
    unspent.value = f"=B4-C{total_rows[0]}"
    unspent.font = BOLD


def statement_workbook(
    statement: Statement, figures: StatementFigures, accounts: AccountsFigures | None = None
) -> bytes:
    """The form; and, once the accounts are begun, a second sheet "Regnskab"."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Redegørelse"
    write_statement_sheet(ws, statement, figures)
    if accounts is not None and statement.accounts_status:
        write_accounts_sheet(wb.create_sheet(ACCOUNTS_SHEET), statement, accounts)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- CSV: semicolon-separated, UTF-8 with BOM, Danish numbers, safe from formula injection ----

CSV_BOM = "\ufeff"


def csv_text(value: str) -> str:
    """Text a spreadsheet program will not run as a formula: a leading = + - @ (or a tab or
    carriage return, which some programs strip first) gets an apostrophe (OWASP's advice)."""
    value = value or ""
    if value.startswith((*FORMULA_PREFIXES, "\t", "\r")):
        return "'" + value
    return value


def csv_cell(value) -> str:
    """Amounts in whole kroner Danish-style (11.280.000); text made formula-safe; None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, int):
        return format_kroner(value)
    return csv_text(str(value))


def csv_content(rows) -> str:
    """A whole CSV document from rows of Python values, with the BOM Excel needs for UTF-8."""
    buffer = StringIO()
    buffer.write(CSV_BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


# --- A whole year: a summary sheet and one sheet per statement ----------------------------------


def _year_statements(grant_year):
    return list(
        statement_queryset()
        .filter(grant__grant_year=grant_year)
        .order_by("grant__municipality__code")
    )


def year_summary_header(grant_year: GrantYear) -> list[str]:
    rows = list(grant_year.rows.all())
    header = ["Kommunekode", "Kommune", "Tilskud", "Status"]
    header += [f"Tabel 1 – {r.label}" for r in rows if r.table == 1]
    header += ["Tabel 1 i alt"]
    header += [f"Tabel 2 – {r.label}" for r in rows if r.table == 2]
    header += ["Tabel 2 i alt"]
    return header


def year_summary_rows(grant_year: GrantYear, statements: list[Statement] | None = None):
    """The one row generator of a year's summary, for the workbook and the CSV alike: a header,
    one row per municipality (all 98; figures blank where there is no grant), and the national
    total over the statements. A column is a form row of the year, matched by its code (a row an
    administrator adds later is blank for the statements made before it, never shifting the
    columns). Totals come from grants.rules like everywhere else."""
    statements = _year_statements(grant_year) if statements is None else statements
    by_municipality = {s.grant.municipality_id: s for s in statements}
    columns = [(r.table, r.code) for r in grant_year.rows.all()]
    width = len(columns) + 2
    national = [0] * (width + 1)
    yield year_summary_header(grant_year)
    for municipality in Municipality.objects.order_by("code"):
        statement = by_municipality.get(municipality.pk)
        if statement is None:
            yield [municipality.code, municipality.name, None, "Ikke påbegyndt"] + [None] * width
            continue
        figures = statement_figures(statement)
        amounts = {(f.row.table, f.row.code): f.amount for t in figures.tables for f in t.rows}
        cells = [amounts.get(c) for c in columns if c[0] == 1] + [figures.table1.total]
        cells += [amounts.get(c) for c in columns if c[0] == 2] + [figures.table2.total]
        national[0] += figures.grant
        for i, value in enumerate(cells, start=1):
            national[i] += value or 0
        yield [
            municipality.code,
            municipality.name,
            figures.grant,
            statement.get_status_display(),
        ] + cells
    yield ["", "Hele landet", national[0], f"{len(statements)} redegørelser"] + national[1:]


def year_workbook(grant_year) -> bytes:
    """Summary sheet ("Oversigt") plus one sheet per statement laid out like the form."""
    statements = _year_statements(grant_year)
    wb = Workbook()
    summary = wb.active
    summary.title = "Oversigt"
    rows = list(year_summary_rows(grant_year, statements))
    last_data_row = len(rows) - 1  # the national row is last; data rows are 2..last_data_row
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = summary.cell(r, c)
            if r == 1 or isinstance(value, str):
                put_text(cell, value)
                if r == 1:
                    cell.font = BOLD
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif r == len(rows) and c >= 3:
                col = get_column_letter(c)
                cell.value = f"=SUM({col}2:{col}{last_data_row})"
                cell.number_format = AMOUNT_FORMAT
                cell.font = BOLD
            else:
                put_amount(cell, value)
    summary.freeze_panes = "C2"
    summary.column_dimensions["B"].width = 22
    for c in range(3, len(rows[0]) + 1):
        summary.column_dimensions[get_column_letter(c)].width = 16
    summary.row_dimensions[1].height = 60
    for statement in statements:
        ws = wb.create_sheet(
            f"{statement.grant.municipality.code} {statement.grant.municipality.name}"[:31]
        )
        write_statement_sheet(ws, statement, statement_figures(statement))
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
