"""The statement as the ministry's spreadsheet (DESIGN.md §Stable interfaces).

One sheet laid out like the form: each row label in column A, its amount in column B on the same
row, specifications in column C, totals as live =SUM formulas, numbers as numbers (#,##0), user text
always as text. The figures come from grants.rules.statement_figures, like the page's.

Every workbook the product produces is written here (and by committee.tables through `Book`) with
XlsxWriter, which stores each formula together with its computed value: a reader that never
recalculates (pandas, python-calamine, a phone's preview) shows the same totals as the page, and
Excel or LibreOffice recalculating shows them too. openpyxl, which cannot write cached values,
only reads (grants/imports.py).
"""

import csv
import logging
import re
from io import BytesIO, StringIO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from grants.models import Grant, GrantYear, Municipality, Statement
from grants.money import format_kroner
from grants.permissions import statement_queryset, visible_statements
from grants.rules import AccountsFigures, StatementFigures, TableFigures, statement_figures

logger = logging.getLogger(__name__)

AMOUNT_FORMAT = "#,##0"
SHARE_FORMAT = "0.0%"
FORMULA_PREFIXES = ("=", "+", "-", "@")
# The C0 control characters other than tab and line feed: XML 1.0 cannot hold them, so a
# worksheet cannot (the same set openpyxl refuses with its ILLEGAL_CHARACTERS_RE).
UNWRITABLE_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
PAPER_A4 = 9  # XlsxWriter's (and Excel's) paper size code
BOLD = {"bold": True}
TOTAL = {"bold": True, "top": 1}  # a total: bold, with a thin top border
WRAPPED = {"text_wrap": True, "valign": "top"}

# Labels of the form's fixed rows (the ministry's words, the same every year).
LABEL_MUNICIPALITY = "Kommune:"
LABEL_GRANT = "Tilskud:"
LABEL_TOTAL_GRANT = "Samlet beløb"
LABEL_ALLOCATED = "Udmøntning i alt"
LABEL_AMOUNT_COLUMN = "Kr."
LABEL_SPEC_COLUMN = "Specifikation"
CONFIRMED_MARK = "X"
STATEMENT_SHEET = "Redegørelse"
SUMMARY_SHEET = "Oversigt"


def worksheet_text(value: str | None) -> str:
    """User text as a cell holds it: line breaks as "\\n" (a lone "\\r" would be stored as
    "_x000D_", which openpyxl reads back literally), and the control characters a worksheet
    cannot hold dropped: the forms and imports refuse them, but no stored text may ever break an
    export for everyone."""
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return UNWRITABLE_CHARACTERS.sub("", value)


class Book:
    """An XlsxWriter workbook built in memory, with its cell formats made once each (a format
    belongs to one workbook). `close()` gives the file's bytes."""

    def __init__(self) -> None:
        self.buffer = BytesIO()
        # Never turn a string into a formula, number or link, even if a caller used write().
        self.workbook = xlsxwriter.Workbook(
            self.buffer,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self._formats: dict[tuple, Format] = {}

    def format(self, **properties) -> Format | None:
        if not properties:
            return None
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(properties)
        return self._formats[key]

    def sheet(self, name: str) -> "Sheet":
        return Sheet(self, name)

    def close(self) -> bytes:
        self.workbook.close()
        return self.buffer.getvalue()


class Sheet:
    """One worksheet, written the one way: text as text (never a formula), amounts as numbers
    (#,##0; None, unknown, leaves the cell empty), formulas with their computed values. Rows and
    columns count from 1, as a reader sees them and as the formulas name them."""

    def __init__(self, book: Book, name: str) -> None:
        self.book = book
        self.worksheet = book.workbook.add_worksheet(name)

    def text(self, row: int, col: int, value: str | None, **style) -> None:
        value = worksheet_text(value)
        if not value:
            self.worksheet.write_blank(row - 1, col - 1, None, self.book.format(**style))
            return
        if value.startswith(FORMULA_PREFIXES):
            # Shown and kept as typed; Excel will not read it as a formula on editing either.
            style = {**style, "quote_prefix": True}
        if self.worksheet.write_string(row - 1, col - 1, value, self.book.format(**style)) == -2:
            # A cell holds 32,767 UTF-16 units; XlsxWriter keeps the beginning.
            cell = xl_rowcol_to_cell(row - 1, col - 1)
            logger.warning("Text cut to what a cell holds: %s!%s", self.worksheet.name, cell)

    def amount(self, row: int, col: int, value: int | None, **style) -> None:
        cell_format = self.book.format(num_format=AMOUNT_FORMAT, **style)
        if value is None:
            self.worksheet.write_blank(row - 1, col - 1, None, cell_format)
        else:
            self.worksheet.write_number(row - 1, col - 1, value, cell_format)

    def formula(
        self,
        row: int,
        col: int,
        formula: str,
        value: int | float | None,
        *,
        num_format: str = AMOUNT_FORMAT,
        **style,
    ) -> None:
        """A live formula stored with `value`, its result computed from the same figures the
        page shows (None: the formula gives empty text)."""
        cell_format = self.book.format(num_format=num_format, **style)
        result = "" if value is None else value
        self.worksheet.write_formula(row - 1, col - 1, formula, cell_format, result)

    def merged_text(self, row: int, first_col: int, last_col: int, value: str, **style) -> None:
        self.worksheet.merge_range(
            row - 1, first_col - 1, row - 1, last_col - 1, "", self.book.format(**style)
        )
        self.text(row, first_col, value, **style)

    def width(self, col: int, width: float) -> None:
        self.worksheet.set_column(col - 1, col - 1, width)

    def height(self, row: int, height: float) -> None:
        self.worksheet.set_row(row - 1, height)

    def print_on_a4(self, area: str) -> None:
        """Print `area` on A4 portrait, fitted to the page's width."""
        self.worksheet.print_area(area)
        self.worksheet.set_portrait()
        self.worksheet.set_paper(PAPER_A4)
        self.worksheet.fit_to_pages(1, 0)


def _table(sheet: Sheet, row: int, title: str, note: str, table: TableFigures, grant: int) -> int:
    """Write one table from `row`; return the next free row."""
    sheet.text(row, 1, title, **BOLD)
    sheet.text(row, 2, LABEL_AMOUNT_COLUMN, **BOLD)
    sheet.text(row, 3, LABEL_SPEC_COLUMN, **BOLD)
    row += 1
    sheet.text(row, 1, LABEL_TOTAL_GRANT)
    sheet.formula(row, 2, "=B4", grant)
    row += 1
    first = row
    for figure in table.rows:
        sheet.text(row, 1, figure.row.form_label)
        sheet.amount(row, 2, figure.amount)
        if figure.specification:
            sheet.text(row, 3, figure.specification)
        row += 1
    last = row - 1
    sheet.text(row, 1, LABEL_ALLOCATED, **TOTAL)
    if table.rows:
        sheet.formula(row, 2, f"=SUM(B{first}:B{last})", table.total, **TOTAL)
    else:
        sheet.amount(row, 2, 0, **TOTAL)
    row += 1
    if note:
        sheet.text(row, 1, f"Note: {note}", **WRAPPED)
        sheet.height(row, 45)
        row += 1
    return row + 1


def write_statement_sheet(sheet: Sheet, statement: Statement, figures: StatementFigures) -> None:
    grant_year = statement.grant.grant_year
    sheet.width(1, 62)
    sheet.width(2, 16)
    sheet.width(3, 45)
    sheet.text(1, 1, grant_year.form_title, bold=True, font_size=14)
    sheet.text(3, 1, LABEL_MUNICIPALITY)
    sheet.text(3, 2, statement.grant.municipality.full_name)
    sheet.text(4, 1, LABEL_GRANT)
    sheet.amount(4, 2, figures.grant)

    grant = figures.grant
    row = _table(sheet, 6, grant_year.table1_title, grant_year.table1_note, figures.table1, grant)
    sheet.text(row, 1, grant_year.box1_title, **BOLD)
    row += 1
    sheet.merged_text(row, 1, 3, statement.box1, **WRAPPED)
    sheet.height(row, min(409, 15 * (statement.box1.count("\n") + 2)))
    row += 2
    row = _table(sheet, row, grant_year.table2_title, grant_year.table2_note, figures.table2, grant)
    sheet.text(row, 1, grant_year.box2_title, **BOLD)
    row += 1
    sheet.text(row, 1, grant_year.box2_text, **WRAPPED)
    sheet.height(row, 45)
    mark = CONFIRMED_MARK if figures.box2_confirmed else ""
    sheet.text(row, 2, mark, bold=True, align="center", valign="vcenter")
    sheet.print_on_a4(f"A1:C{row}")


def statement_filename(statement: Statement) -> str:
    return (
        f"redegoerelse-{statement.grant.municipality.code}-{statement.grant.grant_year.year}.xlsx"
    )


ACCOUNTS_SHEET = "Regnskab"
ACCOUNTS_HEADER = ["Post", "Budget (kr.)", "Regnskab (kr.)", "Forskel (kr.)", "Andel af regnskab"]
LABEL_ACCOUNTS_TOTAL = "I alt"
LABEL_UNSPENT = "Mindreforbrug af tilskuddet (negativt: merforbrug)"


def write_accounts_sheet(sheet: Sheet, statement: Statement, accounts: AccountsFigures) -> None:
    """Budget against actual, per row of both tables: the figures of grants.rules, with the
    totals, differences and shares as live formulas over them, each stored with its result."""
    sheet.width(1, 62)
    for col in range(2, 6):
        sheet.width(col, 17)
    title = f"Regnskab for {statement.grant.grant_year.year}: budget og faktisk forbrug"
    sheet.text(1, 1, title, bold=True, font_size=14)
    sheet.text(3, 1, LABEL_MUNICIPALITY)
    sheet.text(3, 2, statement.grant.municipality.full_name)
    sheet.text(4, 1, LABEL_GRANT)
    sheet.amount(4, 2, accounts.grant)
    sheet.text(5, 1, "Status:")
    sheet.text(5, 2, statement.get_accounts_status_display())
    row = 7
    grant_year = statement.grant.grant_year
    total_rows = []
    for table, title in (
        (accounts.table1, grant_year.table1_title),
        (accounts.table2, grant_year.table2_title),
    ):
        sheet.text(row, 1, title, **BOLD)
        for c, text in enumerate(ACCOUNTS_HEADER[1:], start=2):
            sheet.text(row, c, text, **BOLD)
        row += 1
        first = row
        total_row = row + len(table.rows)
        actual_total = table.actual_total
        for r in table.rows:
            sheet.text(row, 1, r.row.form_label)
            sheet.amount(row, 2, r.budget)
            sheet.amount(row, 3, r.actual)
            sheet.formula(row, 4, f'=IF(C{row}="","",C{row}-B{row})', r.difference)
            share = None if r.actual is None or actual_total == 0 else r.actual / actual_total
            sheet.formula(
                row,
                5,
                f'=IF(OR(C{row}="",C${total_row}=0),"",C{row}/C${total_row})',
                share,
                num_format=SHARE_FORMAT,
            )
            row += 1
        sheet.text(row, 1, LABEL_ACCOUNTS_TOTAL, **BOLD)
        last = row - 1
        sheet.formula(row, 2, f"=SUM(B{first}:B{last})", table.budget_total, **TOTAL)
        sheet.formula(row, 3, f"=SUM(C{first}:C{last})", actual_total, **TOTAL)
        # The table's difference as the page shows it: actual total minus budget total, empty
        # while no actual amount is known (a SUM of column D would leave out the budgets of the
        # rows still without an actual amount).
        difference = (
            f'=IF(COUNT(C{first}:C{last})=0,"",SUM(C{first}:C{last})-SUM(B{first}:B{last}))'
        )
        sheet.formula(row, 4, difference, table.difference, **TOTAL)
        total_rows.append(row)
        row += 2
    sheet.text(row, 1, LABEL_UNSPENT, **BOLD)
    sheet.formula(row, 3, f"=B4-C{total_rows[0]}", accounts.unspent, **BOLD)
    sheet.print_on_a4(f"A1:E{row}")


def statement_workbook(
    statement: Statement, figures: StatementFigures, accounts: AccountsFigures | None = None
) -> bytes:
    """The form; and, once the accounts are begun, a second sheet "Regnskab". Document
    properties say which statement the file is for (programme, year, municipality code)."""
    book = Book()
    grant = statement.grant
    book.workbook.set_custom_property("programme", grant.grant_year.programme.slug)
    book.workbook.set_custom_property("year", grant.grant_year.year)
    book.workbook.set_custom_property("municipality", grant.municipality.code)
    write_statement_sheet(book.sheet(STATEMENT_SHEET), statement, figures)
    if accounts is not None and statement.accounts_status:
        write_accounts_sheet(book.sheet(ACCOUNTS_SHEET), statement, accounts)
    return book.close()


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
        return format_kroner(value, danish=True)
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


def year_statements(grant_year: GrantYear, user: object | None = None) -> list[Statement]:
    """The year's statements, or those of them `user` may read (grants.permissions)."""
    statements = statement_queryset().filter(grant__grant_year=grant_year)
    if user is not None:
        statements = visible_statements(user, statements)
    return list(statements.order_by("grant__municipality__code"))


def year_summary_header(grant_year: GrantYear) -> list[str]:
    rows = list(grant_year.rows.all())
    header = ["Kommunekode", "Kommune", "Tilskud", "Status"]
    header += [f"Tabel 1 – {r.label}" for r in rows if r.table == 1]
    header += ["Tabel 1 i alt"]
    header += [f"Tabel 2 – {r.label}" for r in rows if r.table == 2]
    header += ["Tabel 2 i alt"]
    return header


def year_summary_rows(
    grant_year: GrantYear,
    statements: list[Statement] | None = None,
    *,
    every_municipality: bool = True,
):
    """The one row generator of a year's summary, for the workbook and the CSV alike: a header,
    one row per municipality (all 98; figures blank where there is no grant, or where its
    statement is not among `statements`: another municipality's draft, say), and the total over
    the statements. A column is a form row of the year, matched by its code (a row an
    administrator adds later is blank for the statements made before it, never shifting the
    columns). Totals come from grants.rules like everywhere else. Without `every_municipality`
    only the statements' municipalities have a row (open data of published statements)."""
    statements = year_statements(grant_year) if statements is None else statements
    by_municipality = {s.grant.municipality_id: s for s in statements}
    grants = dict(Grant.objects.filter(grant_year=grant_year).values_list("municipality", "amount"))
    columns = [(r.table, r.code) for r in grant_year.rows.all()]
    width = len(columns) + 2
    national = [0] * (width + 1)
    yield year_summary_header(grant_year)
    for municipality in Municipality.objects.order_by("code"):
        statement = by_municipality.get(municipality.pk)
        if statement is None and not every_municipality:
            continue
        if statement is None:
            grant = grants.get(municipality.pk)
            status = "Ikke påbegyndt" if grant is None else "Ikke indsendt"
            yield [municipality.code, municipality.name, grant, status] + [None] * width
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
    yield ["", "I alt", national[0], f"{len(statements)} redegørelser"] + national[1:]


def year_workbook(
    grant_year: GrantYear,
    statements: list[Statement] | None = None,
    *,
    every_municipality: bool = True,
) -> bytes:
    """Summary sheet ("Oversigt") plus one sheet per statement laid out like the form. The
    national row's totals are =SUM formulas stored with the totals `year_summary_rows` gives."""
    statements = year_statements(grant_year) if statements is None else statements
    book = Book()
    summary = book.sheet(SUMMARY_SHEET)
    rows = list(year_summary_rows(grant_year, statements, every_municipality=every_municipality))
    last_data_row = len(rows) - 1  # the national row is last; data rows are 2..last_data_row
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if r == 1:
                summary.text(r, c, value, **BOLD, **WRAPPED)
            elif isinstance(value, str):
                summary.text(r, c, value)
            elif r == len(rows) and c >= 3:
                col = xl_col_to_name(c - 1)
                summary.formula(r, c, f"=SUM({col}2:{col}{last_data_row})", value, **BOLD)
            else:
                summary.amount(r, c, value)
    summary.worksheet.freeze_panes("C2")
    summary.width(2, 22)
    for c in range(3, len(rows[0]) + 1):
        summary.width(c, 16)
    summary.height(1, 60)
    for statement in statements:
        name = f"{statement.grant.municipality.code} {statement.grant.municipality.name}"
        write_statement_sheet(book.sheet(name[:31]), statement, statement_figures(statement))
    return book.close()
