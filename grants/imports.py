"""Reading a statement back from the product's own workbook, safely.

Two stages. `check_workbook_file` looks at the raw bytes before openpyxl sees them: size, what
the file is when it is no .xlsx (password-protected, the old .xls, .ods, .xlsb), zip structure,
entry count, the number of sheets, uncompressed size per part and in all and the compression
ratio (zip bombs), macros, XML DOCTYPE/entities, and the sheets' declared dimensions. Those bounds
cap what openpyxl can be made to parse. Only then `parse_statement_workbook` opens it with
openpyxl, read-only (with defusedxml installed, see grants/checks.py), reads the form's sheets and
no other, a bounded block of rows and columns each, within a budget of cells and time, and reads
the form the way grants/exports.py wrote it: labels in column A, amounts in column B,
specifications in column C. Every problem names the sheet and cell, and whatever openpyxl still
refuses is said in Danish. Nothing here writes to the database: the caller hands the result to
grants.services.save_statement.
"""

import re
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from io import BytesIO

from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.utils import get_column_letter

from grants.exports import (
    ACCOUNTS_SHEET,
    CONFIRMED_MARK,
    LABEL_ACCOUNTS_TOTAL,
    LABEL_ALLOCATED,
    LABEL_GRANT,
    LABEL_MUNICIPALITY,
    LABEL_TOTAL_GRANT,
)
from grants.forms import BOX1_MAX
from grants.models import AllocationLine, FormRow, GrantYear, Municipality
from grants.money import AmountError, check_kroner, format_kroner, parse_kroner
from grants.services import StatementValues, clean_text
from grants.text import text_error

MAX_FILE_BYTES = 2 * 1024 * 1024
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and an .xlsx encrypted with a password
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MAX_ZIP_ENTRIES = 200
# What openpyxl may be given to parse. Our own workbook unpacks to ~25 kB, ~0.1 MB with a full
# Boks 1 (a whole part: LibreOffice keeps it in the shared strings); openpyxl parses about 2 MB
# of sheets, shared strings or styles a second here, so these caps keep the worst file under one.
MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
MAX_PART_BYTES = 512 * 1024  # one part: a sheet, the shared strings, the styles, …
MAX_SHEETS = 4  # ours have one or two ("Redegørelse", "Regnskab"); room for a note or two
MAX_ENTRY_RATIO = 200  # a worksheet of plain text compresses ~10-50x; bombs go far beyond
MAX_ROWS = 500
MAX_COLUMNS = 26
# What reading may cost once openpyxl has the file: the form's columns A-C of at most MAX_ROWS
# rows of each of its two sheets (so the cell budget holds by construction; it is the guard if
# those bounds grow), and the time, which no form of ours comes near (~10 ms).
READ_COLUMNS = 3
MAX_CELLS = 2 * MAX_ROWS * READ_COLUMNS
MAX_SECONDS = 1.5
STATEMENT_SHEET = "Redegørelse"
_DIMENSION = re.compile(rb'<dimension[^>]*\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_TITLE_YEAR = re.compile(r"(\d{4})\s*$")
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# A <sheet> element of the workbook part, whatever its namespace prefix (<sheets> is not one).
_SHEET = re.compile(rb"<(?:[^\s<>/:!?]+:)?sheet[\s/>]")
SPECIFICATION_MAX = AllocationLine._meta.get_field("specification").max_length


class WorkbookRefused(Exception):
    """The file is not one we open. str(error) is a Danish message."""


@dataclass
class ParsedStatement:
    municipality: Municipality
    grant_year: GrantYear
    values: StatementValues
    errors: list[str] = field(default_factory=list)
    # The "Regnskab" sheet's actual amounts per form row, when the file has that sheet.
    actuals: dict[int, int | None] | None = None


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.decode():
        n = n * 26 + (ord(ch) - 64)
    return n


def _declared_entries(data: bytes) -> int | None:
    """The entry count a zip declares in its end-of-central-directory record, read before the
    zip module walks (and allocates for) every entry. None for a ZIP64 archive (never ours)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 12 > len(data):
        return None
    count = int.from_bytes(data[end + 10 : end + 12], "little")
    return None if count == 0xFFFF else count


def _check_part_size(entry: zipfile.ZipInfo) -> None:
    """A part's declared size bounds what reading it yields (zipfile stops there)."""
    if entry.file_size > MAX_PART_BYTES:
        raise WorkbookRefused(
            _(
                "Regnearket er langt større end et skema: delen %(name)s fylder %(size)s kB "
                "udpakket (højst %(max)s kB). Slet det ekstra indhold, eller udfyld et nyt "
                "regneark eksporteret fra produktet."
            )
            % {
                "name": entry.filename[:100],
                "size": format_kroner(entry.file_size // 1024),
                "max": format_kroner(MAX_PART_BYTES // 1024),
            }
        )


def _damaged() -> str:
    return _("Filen er ikke et gyldigt regneark (zip-strukturen er ødelagt).")


def _declarations() -> str:
    return _(
        "Filen indeholder XML-definitioner (DOCTYPE/ENTITY), som ikke er tilladt i et regneark."
    )


def _other_format(data: bytes) -> str | None:
    """What an OLE2 compound file is, for the user: a password-protected workbook (Excel
    encrypts the whole package into streams named "EncryptionInfo" and "EncryptedPackage",
    names in UTF-16LE) or the old binary format (.xls, Excel 97-2003) or another old Office file."""
    if not data.startswith(OLE2_MAGIC):
        return None
    if "EncryptionInfo".encode("utf-16-le") in data:
        return _(
            "Filen er beskyttet med en adgangskode, så den kan ikke læses. Åbn den i Excel, og "
            "fjern adgangskoden (Filer > Oplysninger > Beskyt projektmappe > Krypter med "
            "adgangskode: slet adgangskoden), gem den, og indlæs den igen."
        )
    return _(
        "Filen er i det gamle Excel-format (.xls, Excel 97-2003) eller et andet ældre "
        "Office-format. Åbn den i Excel eller LibreOffice, gem den som Excel-projektmappe "
        "(.xlsx), og indlæs den igen."
    )


def check_workbook_file(data: bytes) -> None:
    """Refuse what must never reach openpyxl, saying what the file is where we can tell. Reads
    no part beyond its declared size, which is capped before any part is read."""
    if len(data) > MAX_FILE_BYTES:
        raise WorkbookRefused(
            _("Filen er for stor (%(size)s kB). Et regneark må højst fylde 2 MB.")
            % {"size": format_kroner(len(data) // 1024)}
        )
    other = _other_format(data)
    if other:
        raise WorkbookRefused(other)
    if not zipfile.is_zipfile(BytesIO(data)):
        raise WorkbookRefused(
            _(
                "Filen er ikke et Excel-regneark (.xlsx). "
                "Brug regnearket, som produktet eksporterer."
            )
        )
    declared = _declared_entries(data)
    if declared is None or declared > MAX_ZIP_ENTRIES:
        raise WorkbookRefused(
            _("Filen indeholder %(count)s dele; et regneark fra produktet har under %(max)s.")
            % {
                "count": format_kroner(declared) if declared else "for mange",
                "max": MAX_ZIP_ENTRIES,
            }
        )
    try:
        _check_archive(zipfile.ZipFile(BytesIO(data)))
    except WorkbookRefused:
        raise
    except Exception:  # noqa: BLE001 - a damaged zip raises many kinds (bad CRC, zlib, method)
        raise WorkbookRefused(_damaged()) from None


def _check_archive(archive: zipfile.ZipFile) -> None:
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise WorkbookRefused(
            _("Filen indeholder %(count)s dele; et regneark fra produktet har under %(max)s.")
            % {"count": format_kroner(len(entries)), "max": MAX_ZIP_ENTRIES}
        )
    parts = {e.filename: e for e in entries}
    if "mimetype" in parts:
        with archive.open("mimetype") as stream:
            mimetype = stream.read(100).strip()
        if mimetype == ODS_MIMETYPE:
            raise WorkbookRefused(
                _(
                    "Filen er et OpenDocument-regneark (.ods). Åbn den i LibreOffice eller "
                    "Excel, gem den som Excel-projektmappe (.xlsx), og indlæs den igen."
                )
            )
    if "xl/workbook.bin" in parts:
        raise WorkbookRefused(
            _(
                "Filen er gemt i Excels binære format (.xlsb). Åbn den i Excel, gem den som "
                "Excel-projektmappe (.xlsx), og indlæs den igen."
            )
        )
    if "[Content_Types].xml" not in parts or "xl/workbook.xml" not in parts:
        raise WorkbookRefused(
            _("Filen er ikke et Excel-regneark (.xlsx): der mangler en projektmappe.")
        )
    _check_part_size(parts["xl/workbook.xml"])
    sheets = len(_SHEET.findall(archive.read("xl/workbook.xml")))
    if sheets > MAX_SHEETS:
        raise WorkbookRefused(
            _(
                "Regnearket har %(count)s ark; et skema fra produktet har ét eller to "
                "(Redegørelse og evt. Regnskab), og der må højst være %(max)s. "
                "Slet de øvrige ark, og prøv igen."
            )
            % {"count": sheets, "max": MAX_SHEETS}
        )
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookRefused(
            _(
                "Filen pakker ud til %(size)s kB, hvilket er for meget for et skema "
                "(højst %(max)s kB; mulig zip-bombe)."
            )
            % {
                "size": format_kroner(total // 1024),
                "max": format_kroner(MAX_UNCOMPRESSED_BYTES // 1024),
            }
        )
    for e in entries:
        if (
            e.compress_size
            and e.file_size / e.compress_size > MAX_ENTRY_RATIO
            and e.file_size > 1_000_000
        ):
            raise WorkbookRefused(
                _("Filen er pakket usædvanligt hårdt (%(name)s), hvilket tyder på en zip-bombe.")
                % {"name": e.filename}
            )
    for e in entries:
        _check_part_size(e)
    lowered = {n.lower() for n in parts}
    content_types = archive.read("[Content_Types].xml")
    if any(n.endswith("vbaproject.bin") for n in lowered) or b"macroEnabled" in content_types:
        raise WorkbookRefused(_("Regneark med makroer (.xlsm) accepteres ikke."))
    for e in entries:
        if not e.filename.lower().endswith((".xml", ".rels")):
            continue
        content = archive.read(e)  # whole: a DOCTYPE may follow any amount of white space
        if _DECLARATION.search(content):
            raise WorkbookRefused(_declarations())
        if e.filename.startswith("xl/worksheets/"):
            match = _DIMENSION.search(content)
            if match:
                last_col = match.group(3) or match.group(1)
                last_row = match.group(4) or match.group(2)
                if int(last_row) > MAX_ROWS or _column_number(last_col) > MAX_COLUMNS:
                    raise WorkbookRefused(
                        _("Arket %(name)s siger, det fylder til %(ref)s; skemaet er langt mindre.")
                        % {
                            "name": e.filename.rsplit("/", 1)[-1],
                            "ref": (last_col + last_row).decode(),
                        }
                    )


def _find_row(rows: list[FormRow], table: int, label: str) -> FormRow | None:
    """The row a label in column A names: as the form prints it ('Andet (…)') or, in workbooks
    exported before that, the bare label."""
    return next((x for x in rows if x.table == table and label in (x.form_label, x.label)), None)


def _unknown_row(sheet: str, r: int, label: str, grant_year: GrantYear, table: int) -> str:
    return _(
        "%(sheet)s!A%(row)s: rækken '%(label)s' findes ikke i %(year)s-skemaets tabel %(table)s."
    ) % {"sheet": sheet, "row": r, "label": label[:100], "year": grant_year.year, "table": table}


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _checked_text(value, ref: str, max_length: int, errors: list[str]) -> str:
    """A text cell as the form would take it: within `max_length` characters once cleaned
    (clean_text, as it is stored), and without control characters."""
    text = "" if value is None else str(value)
    problem = text_error(clean_text(text), max_length=max_length)
    if problem:
        errors.append(f"{ref}: {problem}")
    return text


def _amount(cell, ref: str, errors: list[str]) -> int | None:
    """An amount cell: a whole, non-negative number within money.MAX_KRONER, or empty
    (unknown)."""
    value = cell.value
    if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
        errors.append(_("%(ref)s: cellen indeholder en formel; skriv et beløb.") % {"ref": ref})
        return None
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors.append(_("%(ref)s: '%(value)s' er ikke et beløb.") % {"ref": ref, "value": value})
        return None
    if isinstance(value, float):
        if not value.is_integer():
            errors.append(_("%(ref)s: beløbet skal være hele kroner uden øre.") % {"ref": ref})
            return None
        value = int(value)
    if isinstance(value, int) and value < 0:
        errors.append(_("%(ref)s: beløbet må ikke være negativt.") % {"ref": ref})
        return None
    try:
        if isinstance(value, int):
            check_kroner(value)
            return value
        return parse_kroner(str(value))
    except AmountError as error:
        errors.append(f"{ref}: {error}")
        return None


class _Budget:
    """What reading may still cost: cells read and time taken, from the moment openpyxl opens
    the file. Exceeding either refuses the file."""

    def __init__(self) -> None:
        self.cells = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def spend(self, cells: int = 0) -> None:
        self.cells += cells
        if self.cells > MAX_CELLS or time.monotonic() > self.deadline:
            raise WorkbookRefused(
                _(
                    "Regnearket tager for lang tid at læse; et skema fra produktet læses på et "
                    "øjeblik. Slet det ekstra indhold, eller udfyld et nyt regneark eksporteret "
                    "fra produktet."
                )
            )


class _Sheet:
    """A sheet's first MAX_ROWS rows of columns A-C, read once, in order: a read-only sheet is
    parsed again from the top for every random access to a cell."""

    def __init__(self, ws, budget: _Budget) -> None:
        self.title = ws.title
        self.rows: list[tuple] = []
        for row in ws.iter_rows(min_row=1, max_row=MAX_ROWS, max_col=READ_COLUMNS):
            budget.spend(len(row))
            self.rows.append(row)

    @property
    def max_row(self) -> int:
        return len(self.rows)

    def cell(self, row: int, column: int):
        return self.rows[row - 1][column - 1] if row <= len(self.rows) else EMPTY_CELL

    def value(self, row: int, column: int):
        return self.cell(row, column).value

    def ref(self, row: int, column: int) -> str:
        return f"{self.title}!{get_column_letter(column)}{row}"


def _unreadable(error: BaseException) -> str:
    """What openpyxl, or the XML parser or zipfile beneath it, refused, as a sentence for the
    user (never the exception's name: it means nothing to a finance officer)."""
    causes: list[BaseException] = []
    while error is not None and len(causes) < 20:
        causes.append(error)
        error = error.__cause__ or error.__context__
    if any(isinstance(e, DefusedXmlException) for e in causes):
        return _declarations()
    if any(isinstance(e, SyntaxError) for e in causes):  # ElementTree's and lxml's parse errors
        return _(
            "Regnearket kan ikke læses: dets indhold (XML) er beskadiget. Åbn det i Excel eller "
            "LibreOffice, gem det igen som .xlsx, og indlæs det på ny."
        )
    if any(isinstance(e, zipfile.BadZipFile | zlib.error | EOFError) for e in causes):
        return _damaged()
    return _(
        "Regnearket kan ikke læses: noget i filen følger ikke Excel-formatet (.xlsx). Åbn det i "
        "Excel eller LibreOffice, gem det igen som .xlsx, og indlæs det på ny, eller udfyld et "
        "nyt regneark eksporteret fra produktet."
    )


def _read_sheets(data: bytes) -> dict[str, _Sheet]:
    """Open the workbook read-only and read the form's sheets, and no other, within a budget."""
    budget = _Budget()
    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds; all mean "refuse"
        raise WorkbookRefused(_unreadable(error)) from None
    try:
        budget.spend()
        if STATEMENT_SHEET not in wb.sheetnames:
            raise WorkbookRefused(
                _(
                    "Regnearket har ikke arket '%(sheet)s'. "
                    "Brug regnearket, som produktet eksporterer."
                )
                % {"sheet": STATEMENT_SHEET}
            )
        return {
            name: _Sheet(wb[name], budget)
            for name in (STATEMENT_SHEET, ACCOUNTS_SHEET)
            if name in wb.sheetnames
        }
    except WorkbookRefused:
        raise
    except Exception as error:  # noqa: BLE001 - a read-only sheet is parsed while it is read
        raise WorkbookRefused(_unreadable(error)) from None
    finally:
        wb.close()


def parse_statement_workbook(data: bytes) -> ParsedStatement:
    """Read a statement workbook. Raises WorkbookRefused when it is not one; returns the values
    and every cell-level problem otherwise (an empty `errors` means it may be applied)."""
    check_workbook_file(data)
    sheets = _read_sheets(data)
    ws = sheets[STATEMENT_SHEET]
    sheet = STATEMENT_SHEET
    errors: list[str] = []

    title = _text(ws.value(1, 1))
    # The form's title names its programme and year (each programme-year's form has its own).
    grant_year = (
        GrantYear.objects.select_related("programme")
        .filter(has_form=True, form_title=title)
        .exclude(form_title="")
        .first()
    )
    if grant_year is None:
        raise WorkbookRefused(
            _("%(sheet)s!A1: '%(title)s' er ikke titlen på et kendt års skema.")
            % {"sheet": sheet, "title": title[:100]}
        )
    if _text(ws.value(3, 1)) != LABEL_MUNICIPALITY or _text(ws.value(4, 1)) != LABEL_GRANT:
        raise WorkbookRefused(
            _("%(sheet)s: A3 og A4 skal være '%(m)s' og '%(g)s' som i skemaet.")
            % {"sheet": sheet, "m": LABEL_MUNICIPALITY, "g": LABEL_GRANT}
        )
    name = _text(ws.value(3, 2))
    municipality = Municipality.objects.filter(name=name.removesuffix(" Kommune")).first()
    if municipality is None:
        raise WorkbookRefused(
            _("%(sheet)s!B3: kommunen '%(name)s' findes ikke.")
            % {"sheet": sheet, "name": name[:100]}
        )
    grant = _amount(ws.cell(4, 2), ws.ref(4, 2), errors)
    if grant is None and not errors:
        errors.append(_("%(sheet)s!B4: tilskuddet mangler.") % {"sheet": sheet})

    rows = list(grant_year.rows.all())
    values = StatementValues(grant=grant)
    markers = {
        grant_year.table1_title: 1,
        grant_year.table2_title: 2,
    }
    table: int | None = None
    seen: dict[int, set[int]] = {1: set(), 2: set()}
    r = 5
    while r <= ws.max_row:
        label = _text(ws.value(r, 1))
        if label in markers:
            table = markers[label]
        elif table is not None and label == LABEL_TOTAL_GRANT:
            pass  # a formula (=B4): ignored, the grant is B4
        elif table is not None and label == LABEL_ALLOCATED:
            table = None  # the total's formula is ignored: totals are recomputed
        elif table is not None:
            row = _find_row(rows, table, label)
            if row is None:
                errors.append(_unknown_row(sheet, r, label, grant_year, table))
            else:
                seen[table].add(row.pk)
                values.amounts[row.pk] = _amount(ws.cell(r, 2), ws.ref(r, 2), errors)
                if row.takes_specification:
                    values.specifications[row.pk] = _checked_text(
                        _text(ws.value(r, 3)), ws.ref(r, 3), SPECIFICATION_MAX, errors
                    )
                elif _text(ws.value(r, 3)):
                    errors.append(
                        _("%(sheet)s!C%(row)s: rækken '%(label)s' har ingen specifikation.")
                        % {"sheet": sheet, "row": r, "label": label}
                    )
        elif label == grant_year.box1_title:
            values.box1 = _checked_text(ws.value(r + 1, 1), ws.ref(r + 1, 1), BOX1_MAX, errors)
            r += 1
        elif label == grant_year.box2_title:
            mark = _text(ws.value(r + 1, 2))
            if mark.upper() not in ("", CONFIRMED_MARK):
                errors.append(
                    _("%(sheet)s!B%(row)s: Boks 2 skal være 'X' eller tom, ikke '%(value)s'.")
                    % {"sheet": sheet, "row": r + 1, "value": mark[:20]}
                )
            values.box2_confirmed = mark.upper() == CONFIRMED_MARK
            r += 1
        r += 1
    for t in (1, 2):
        for row in rows:
            if row.table == t and row.pk not in seen[t]:
                errors.append(
                    _("%(sheet)s: rækken '%(label)s' mangler i tabel %(table)s.")
                    % {"sheet": sheet, "label": row.label, "table": t}
                )
    if values.box1 is None:
        errors.append(_("%(sheet)s: Boks 1 mangler.") % {"sheet": sheet})
    actuals = None
    if ACCOUNTS_SHEET in sheets:
        actuals = _parse_accounts_sheet(sheets[ACCOUNTS_SHEET], grant_year, rows, errors)
    return ParsedStatement(municipality, grant_year, values, errors, actuals)


def _parse_accounts_sheet(
    ws: _Sheet, grant_year: GrantYear, rows: list[FormRow], errors: list[str]
) -> dict[int, int | None]:
    """The "Regnskab" sheet: per table, row labels in A and the actual amount in C. The budget
    (B), difference (D), share (E) and the totals are derived and ignored."""
    sheet = ACCOUNTS_SHEET
    markers = {grant_year.table1_title: 1, grant_year.table2_title: 2}
    actuals: dict[int, int | None] = {}
    seen: dict[int, set[int]] = {1: set(), 2: set()}
    table = None
    for r in range(1, ws.max_row + 1):
        label = _text(ws.value(r, 1))
        if label in markers:
            table = markers[label]
        elif table is not None and label == LABEL_ACCOUNTS_TOTAL:
            table = None
        elif table is not None and label:
            row = _find_row(rows, table, label)
            if row is None:
                errors.append(_unknown_row(sheet, r, label, grant_year, table))
                continue
            seen[table].add(row.pk)
            actuals[row.pk] = _amount(ws.cell(r, 3), ws.ref(r, 3), errors)
    for row in rows:
        if row.pk not in seen[row.table]:
            errors.append(
                _("%(sheet)s: rækken '%(label)s' mangler i tabel %(table)s.")
                % {"sheet": sheet, "label": row.label, "table": row.table}
            )
    return actuals
