"""Reading the ministry's grant table (tilskudstabel): each municipality's grant per year.

The ministry prints a title, a header row ("Kommune", "Tilskud 2016", "Tilskud 2017*", …), a row
per municipality and footnotes ("Kilde: …"). `read_grant_table` takes such a table as an .xlsx
workbook (its first sheet) or a CSV file and returns the figures it holds, or refuses it naming
the row and the cell of every problem. Nothing here writes to the database: the caller previews
the figures with grants.services.plan_grant_table and applies them with apply_grant_table.

Hostile files: an .xlsx passes grants.imports.check_workbook_file (size, zip structure, bombs,
macros, XML declarations, declared dimensions) before openpyxl opens it, read-only, within a
number of rows and columns and a time limit. A CSV (semicolon or comma, UTF-8 with or without a
byte order mark) is size-limited and bounded the same way. Text with control characters is
refused in either.

The table's layout:
- The header row is the first row with a year (19xx or 20xx) in a column other than the first.
  Each column whose heading holds one year is that year's grant; other columns are left out.
- Below it, the first column names a municipality as the ministry prints it ("Lyngby-Taarbæk",
  "Københavns Kommune", "Høje Tåstrup", "Aabenraa"/"Åbenrå") or by its 3-digit code.
- Blank rows, and rows with text but no figure (footnotes, "Kilde: …"), are skipped; a totals
  row ("I alt", "Hele landet") too. A blank amount cell means no figure (not 0).
"""

import csv
import difflib
import io
import re
import time
import unicodedata
from dataclasses import dataclass, field
from io import BytesIO

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from grants.imports import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_SECONDS,
    OLE2_MAGIC,
    WorkbookRefused,
    check_workbook_file,
)
from grants.imports import _amount as amount_cell
from grants.models import Municipality, Programme
from grants.money import format_kroner
from grants.text import control_character_error

ZIP_MAGIC = b"PK\x03\x04"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")
# A heading whose amounts are not whole kroner: "Tilskud 2016 (mio. kr.)", "1.000 kr.", "t.kr."
_UNIT = re.compile(r"\bmio\b|\bmia\b|1[.\s]?000\s*kr|\bt\.?\s?kr|\btkr", re.IGNORECASE)
_CODE = re.compile(r"0?([0-9]{3})")
_SOURCE_NOTE = re.compile(r"^\s*(?:\*+\s*)?kilde\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)
_FOLDS = (
    str.maketrans({"å": "aa", "æ": "ae", "ø": "oe", "ä": "ae", "ö": "oe", "ü": "ue"}),
    str.maketrans({"å": "a", "æ": "ae", "ø": "o", "ä": "a", "ö": "o", "ü": "u"}),
)
_SUFFIX = re.compile(r"[\s-]*(?:regions)?kommune\s*$")
_FOOTNOTE_MARK = re.compile(r"[\s*†‡¹²³⁰-⁹()]+$")
# Rows that sum the table rather than name a municipality.
TOTAL_LABELS = {"i alt", "ialt", "total", "hele landet", "landet i alt", "alle kommuner", "sum"}
# Former names the ministry's older tables may still print.
FORMER_NAMES = {
    "Brønderslev-Dronninglund": "810",
    "Frederiksværk-Hundested": "260",
}


class GrantTableRefused(Exception):
    """The file is not a grant table we can apply. `errors` lists each problem in Danish,
    naming the row and the cell (str(error) joins them)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors))


@dataclass(frozen=True)
class GrantFigure:
    """One municipality's grant for one year, as the table gives it, and where."""

    municipality: Municipality
    year: int
    amount: int
    row: int  # the table's row number, as a spreadsheet shows it
    cell: str  # "C7"

    @property
    def ref(self) -> str:
        return _("Række %(row)s, %(cell)s") % {"row": self.row, "cell": self.cell}


@dataclass
class GrantTable:
    figures: list[GrantFigure]
    years: list[int]
    source_note: str = ""  # the table's "Kilde: …" footnote, without "Kilde:"
    skipped: list[str] = field(default_factory=list)  # what was left out, and why


@dataclass(frozen=True)
class _Cell:
    """A cell of either format, as grants.imports' amount reader takes it."""

    value: object  # str, int, float, bool, a date, or None
    formula: bool = False

    @property
    def data_type(self) -> str:
        return "f" if self.formula else "n"


def _ref(row: int, column: int) -> str:
    return _("Række %(row)s, %(cell)s") % {"row": row, "cell": f"{get_column_letter(column)}{row}"}


def _text(cell: _Cell | None) -> str:
    if cell is None or cell.value is None:
        return ""
    if isinstance(cell.value, float) and cell.value.is_integer():
        return str(int(cell.value))
    return str(cell.value).strip()


def _short(text: str, length: int) -> str:
    """A cell's text for a message: on one line, cut with "…" past `length` characters."""
    return Truncator(" ".join(text.split())).chars(length)


def _too_big() -> str:
    return _("Tabellen er for stor (højst %(rows)s rækker og %(columns)s kolonner).") % {
        "rows": MAX_ROWS,
        "columns": MAX_COLUMNS,
    }


def _too_slow() -> str:
    return _("Tabellen tager for lang tid at læse; en tilskudstabel læses på et øjeblik.")


# --- Files into rows of cells ----------------------------------------------------------------


def _workbook_rows(data: bytes) -> list[list[_Cell]]:
    """The first sheet's rows, after the byte-level checks every workbook passes."""
    try:
        check_workbook_file(data)
    except WorkbookRefused as error:
        raise GrantTableRefused([str(error)]) from None
    deadline = time.monotonic() + MAX_SECONDS
    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds; all mean "refuse"
        raise GrantTableRefused([_unreadable()]) from None
    try:
        ws = wb.worksheets[0]
        rows = []
        for row in ws.iter_rows(min_row=1, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS):
            if len(rows) == MAX_ROWS:
                if any(cell.value is not None for cell in row):
                    raise GrantTableRefused([_too_big()])
                break
            if time.monotonic() > deadline:
                raise GrantTableRefused([_too_slow()])
            rows.append([_Cell(cell.value, cell.data_type == "f") for cell in row])
        return rows
    except GrantTableRefused:
        raise
    except Exception:  # noqa: BLE001 - a read-only sheet is parsed while it is read
        raise GrantTableRefused([_unreadable()]) from None
    finally:
        wb.close()


def _unreadable() -> str:
    return _(
        "Regnearket kan ikke læses: noget i filen følger ikke Excel-formatet (.xlsx). Åbn det i "
        "Excel eller LibreOffice, gem det igen som .xlsx, og indlæs det på ny."
    )


def _csv_rows(data: bytes) -> list[list[_Cell]]:
    """A CSV file's rows: UTF-8 with or without a byte order mark, ';' or ',' between fields."""
    if len(data) > MAX_FILE_BYTES:
        raise GrantTableRefused(
            [
                _("Filen er for stor (%(size)s kB). En tilskudstabel må højst fylde 2 MB.")
                % {"size": format_kroner(len(data) // 1024)}
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise GrantTableRefused(
            [
                _(
                    "Filen er ikke UTF-8 (byte nr. %(position)s). Gem den som 'CSV UTF-8' i "
                    "Excel eller med tegnsættet UTF-8 i LibreOffice, og indlæs den igen."
                )
                % {"position": error.start + 1}
            ]
        ) from None
    if "\x00" in text:
        raise GrantTableRefused([_("Filen er ikke en tekstfil (CSV): den indeholder NUL-tegn.")])
    best: list[list[str]] | None = None
    for delimiter in (";", ","):
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        if len(rows) > MAX_ROWS or any(len(row) > MAX_COLUMNS for row in rows):
            continue
        if best is None or _header_years(rows) > _header_years(best):
            best = rows
    if best is None:
        raise GrantTableRefused([_too_big()])
    return [[_Cell(value if value.strip() else None) for value in row] for row in best]


def _header_years(rows: list[list[str]]) -> int:
    """How many year headings the header row has, as _header finds it (to tell ';' from ',')."""
    for row in rows:
        filled = [value for value in row if value.strip()]
        years = sum(1 for value in filled[1:] if _YEAR.search(value))
        if years:
            return years
    return 0


# --- Municipalities by name or code ----------------------------------------------------------


def _keys(name: str) -> set[str]:
    """The forms a municipality's name is matched in: case, accents, "Kommune", hyphens and
    spaces, and å/æ/ø written as aa/ae/oe or as a/ae/o, all folded away."""
    text = unicodedata.normalize("NFC", name).casefold().strip()
    text = _SUFFIX.sub("", _FOOTNOTE_MARK.sub("", text))
    keys = set()
    for fold in _FOLDS:
        folded = unicodedata.normalize("NFKD", text.translate(fold))
        keys.add("".join(ch for ch in folded if ch.isascii() and ch.isalnum()))
    return keys - {""}


class _Municipalities:
    """Every municipality by code and by each key of its name, its genitive ("Københavns",
    "Bornholms Regionskommune") and its former names. A key two municipalities share matches
    neither."""

    def __init__(self) -> None:
        self.by_code = {m.code: m for m in Municipality.objects.all()}
        found: dict[str, set[Municipality]] = {}
        names = [(m.name, m) for m in self.by_code.values()]
        names += [(old, self.by_code[code]) for old, code in FORMER_NAMES.items()]
        for name, municipality in names:
            for key in _keys(name):
                variants = {key, key + "s", key.removesuffix("s")}
                for variant in variants:
                    found.setdefault(variant, set()).add(municipality)
        self.by_key = {key: ms.pop() for key, ms in found.items() if len(ms) == 1}

    def find(self, value: object) -> Municipality | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if float(value).is_integer():
                return self.by_code.get(f"{int(value):03d}")
            return None
        text = str(value).strip()
        code = _CODE.fullmatch(text)
        if code:
            return self.by_code.get(code.group(1))
        return next((self.by_key[k] for k in sorted(_keys(text)) if k in self.by_key), None)

    def suggestion(self, text: str) -> str | None:
        keys = sorted(_keys(text))
        for key in keys:
            close = difflib.get_close_matches(key, self.by_key, n=1, cutoff=0.8)
            if close:
                return self.by_key[close[0]].name
        return None


# --- The table --------------------------------------------------------------------------------


def _control_characters(rows: list[list[_Cell]], errors: list[str]) -> None:
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row, start=1):
            if isinstance(cell.value, str):
                problem = control_character_error(cell.value)
                if problem:
                    errors.append(f"{_ref(r, c)}: {problem}")


def _header(rows: list[list[_Cell]]) -> tuple[int, int]:
    """The header row: the first whose cells after its first filled one hold a year (a title
    row has one filled cell). Returns its number and the column of municipalities (that first
    filled cell: column A, or further right where the table has a margin)."""
    for r, row in enumerate(rows, start=1):
        filled = [c for c, cell in enumerate(row, start=1) if _text(cell)]
        if filled and any(_YEAR.search(_text(row[c - 1])) for c in filled[1:]):
            return r, filled[0]
    raise GrantTableRefused(
        [
            _(
                "Tabellen har ingen overskriftsrække med et år (fx 'Tilskud 2016') i "
                "kolonnerne efter kommunerne."
            )
        ]
    )


def _year_columns(
    rows: list[list[_Cell]],
    header: int,
    name_column: int,
    programme: Programme,
    errors: list[str],
    skipped: list[str],
) -> dict[int, int]:
    """The header's year columns (column number -> year); other columns are left out."""
    years_of = set(programme.years.values_list("year", flat=True))
    columns: dict[int, int] = {}
    seen: dict[int, str] = {}
    for c, cell in enumerate(rows[header - 1], start=1):
        heading = _text(cell)
        if c <= name_column or not heading:
            continue
        ref = _ref(header, c)
        found = sorted(set(_YEAR.findall(heading)))
        if not found:
            skipped.append(
                _("%(ref)s: kolonnen '%(heading)s' er ikke et år og er udeladt.")
                % {"ref": ref, "heading": _short(heading, 60)}
            )
            continue
        if len(found) > 1:
            errors.append(
                _("%(ref)s: overskriften '%(heading)s' nævner flere år; skriv ét år pr. kolonne.")
                % {"ref": ref, "heading": _short(heading, 60)}
            )
            continue
        if _UNIT.search(heading):
            errors.append(
                _(
                    "%(ref)s: overskriften '%(heading)s' angiver en enhed; beløbene skal stå i "
                    "hele kroner."
                )
                % {"ref": ref, "heading": _short(heading, 60)}
            )
            continue
        year = int(found[0])
        if year not in years_of:
            errors.append(
                _("%(ref)s: %(programme)s har ikke året %(year)s.")
                % {"ref": ref, "programme": programme.name, "year": year}
            )
            continue
        if year in seen:
            errors.append(
                _("%(ref)s: året %(year)s står også i %(other)s.")
                % {"ref": ref, "year": year, "other": seen[year]}
            )
            continue
        seen[year] = f"{get_column_letter(c)}{header}"
        columns[c] = year
    for r in range(1, header):
        title = " ".join(_text(cell) for cell in rows[r - 1] if _text(cell))
        if title:
            skipped.append(
                _("Række %(row)s: '%(text)s' står over tabellen og er udeladt.")
                % {"row": r, "text": _short(title, 80)}
            )
    return columns


def _figures(
    rows: list[list[_Cell]],
    header: int,
    name_column: int,
    columns: dict[int, int],
    errors: list[str],
    skipped: list[str],
) -> tuple[list[GrantFigure], str]:
    municipalities = _Municipalities()
    figures: list[GrantFigure] = []
    rows_of: dict[int, int] = {}  # municipality pk -> the row it stands in
    source_note = ""
    for r in range(header + 1, len(rows) + 1):
        row = rows[r - 1]
        first = row[name_column - 1] if len(row) >= name_column else _Cell(None)
        name = _text(first)
        amounts = [(c, row[c - 1]) for c in columns if c <= len(row) and _text(row[c - 1])]
        if not name and not amounts:
            if any(_text(cell) for cell in row):
                skipped.append(_("Række %(row)s: uden kommune og tilskud, udeladt.") % {"row": r})
            continue  # a blank row
        municipality = municipalities.find(first.value) if name else None
        if municipality is None and not amounts:
            note = _SOURCE_NOTE.match(name)
            if note and not source_note:
                source_note = " ".join(note.group(1).split())
            skipped.append(
                _("Række %(row)s: '%(text)s' er en note og er udeladt.")
                % {"row": r, "text": _short(name, 80)}
            )
            continue
        if municipality is None and name.casefold().strip(" :*") in TOTAL_LABELS:
            skipped.append(
                _("Række %(row)s: totalrækken '%(text)s' er udeladt.") % {"row": r, "text": name}
            )
            continue
        ref = _ref(r, name_column)
        if not name:
            errors.append(_("%(ref)s: kommunen mangler.") % {"ref": ref})
            continue
        if municipality is None:
            suggestion = municipalities.suggestion(name)
            errors.append(
                (
                    _("%(ref)s: '%(name)s' er ikke en kommune (mente du %(suggestion)s?).")
                    if suggestion
                    else _("%(ref)s: '%(name)s' er ikke en kommune.")
                )
                % {"ref": ref, "name": _short(name, 60), "suggestion": suggestion}
            )
            continue
        if municipality.pk in rows_of:
            errors.append(
                _("%(ref)s: %(name)s står også i række %(other)s.")
                % {"ref": ref, "name": municipality.name, "other": rows_of[municipality.pk]}
            )
            continue
        rows_of[municipality.pk] = r
        for c, cell in amounts:
            # A grant is read as the statement import reads an amount: a whole, non-negative
            # number, or Danish text (grants.money.parse_kroner); no formula.
            amount = amount_cell(cell, _ref(r, c), errors)
            if amount is not None:
                figures.append(
                    GrantFigure(municipality, columns[c], amount, r, f"{get_column_letter(c)}{r}")
                )
    return figures, source_note


def read_grant_table(data: bytes, *, filename: str, programme: Programme) -> GrantTable:
    """Read the ministry's table for `programme` from an .xlsx or a CSV file. Raises
    GrantTableRefused with every problem found, naming row and cell; writes nothing."""
    is_workbook = data.startswith((ZIP_MAGIC, OLE2_MAGIC)) or filename.lower().endswith(
        WORKBOOK_SUFFIXES
    )
    rows = _workbook_rows(data) if is_workbook else _csv_rows(data)
    errors: list[str] = []
    skipped: list[str] = []
    _control_characters(rows, errors)
    if errors:
        raise GrantTableRefused(errors)
    header, name_column = _header(rows)
    columns = _year_columns(rows, header, name_column, programme, errors, skipped)
    figures, source_note = _figures(rows, header, name_column, columns, errors, skipped)
    if errors:
        raise GrantTableRefused(errors)
    if not figures:
        raise GrantTableRefused([_("Tabellen indeholder ingen tilskud.")])
    return GrantTable(figures, sorted(set(columns.values())), source_note, skipped)
