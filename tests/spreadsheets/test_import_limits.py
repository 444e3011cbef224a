"""An import holds every limit the web form holds (issue 13): amounts within money.MAX_KRONER,
specifications within 500 characters, Boks 1 within forms.BOX1_MAX, no control characters in
any text. The parser names sheet and cell; the preview, the confirmation and the command never
end in a 500 or a traceback, and a refusal writes nothing."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from grants.forms import BOX1_MAX
from grants.imports import ParsedStatement, parse_statement_workbook
from grants.models import FormRow
from grants.money import MAX_KRONER
from grants.views import _pack_import
from tests.conftest import get_statement
from tests.spreadsheets.test_import import IMPORT, edited, everything, fill, rezip, row_of

CONTROL = ": Teksten indeholder et kontroltegn (U+007F) ved tegn nr. %s. Fjern det, og prøv igen."
BOX1_2016 = (
    "BOKS 1. Hvorledes understøtter den valgte udmøntning kommunens værdighedspolitik i 2016"
)


def other_row(table: int = 1) -> FormRow:
    return FormRow.objects.get(grant_year__year=2016, table=table, kind=FormRow.Kind.OTHER)


def with_cell(label: str, column: int, value):
    def mutate(ws):
        fill(ws)
        ws.cell(row_of(ws, label), column).value = value

    return mutate


def with_box1(text: str):
    def mutate(ws):
        fill(ws)
        ws.cell(row_of(ws, BOX1_2016) + 1, 1).value = text

    return mutate


def with_other_spec(text: str):
    def mutate(ws):
        fill(ws)
        ws.cell(row_of(ws, other_row().form_label), 3).value = text

    return mutate


def beyond_a_cell(text: str) -> bytes:
    """A workbook whose Boks 1 holds `text` although no spreadsheet cell may hold more than 32,767
    characters (openpyxl cuts a longer text when it writes; a crafted file does not)."""
    data = edited(with_box1("BOKS-1-PLADSHOLDER"))
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b"BOKS-1-PLADSHOLDER", text.encode())
    return rezip(data, replace={"xl/worksheets/sheet1.xml": sheet})


CASES = {  # name: (the file, the error); Ishøj 2016: 'Andet' of Tabel 1 in row 13, Boks 1 in A19
    "grant above 2^63": (
        lambda: edited(with_cell("Tilskud:", 2, 2**63 + 1)),
        "Redegørelse!B4: Beløbet er for stort.",
    ),
    "grant at MAX_KRONER": (
        lambda: edited(with_cell("Tilskud:", 2, MAX_KRONER)),
        "Redegørelse!B4: Beløbet er for stort.",
    ),
    "amount above MAX_KRONER as a float": (
        lambda: edited(with_cell("Livskvalitet", 2, 1e20)),
        "Redegørelse!B8: Beløbet er for stort.",
    ),
    "specification of 501 characters": (
        lambda: edited(with_other_spec("x" * 501)),
        "Redegørelse!C13: Teksten er på 501 tegn; der må højst være 500.",
    ),
    "Boks 1 of 100,000 characters": (
        lambda: beyond_a_cell("Æ" * 100_000),
        "Redegørelse!A19: Teksten er på 100.000 tegn; der må højst være 32.767.",
    ),
    "a control character in Boks 1": (
        lambda: edited(with_box1("Fem indsatser\x7f for en værdig ældrepleje.")),
        "Redegørelse!A19" + CONTROL % 14,
    ),
    "a control character in a specification": (
        lambda: edited(with_other_spec("Klippekort\x7f")),
        "Redegørelse!C13" + CONTROL % 11,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_parser_refuses_what_the_form_refuses_naming_the_cell(ishoj, name):
    make, message = CASES[name]
    parsed = parse_statement_workbook(make())
    assert message in parsed.errors, parsed.errors


@pytest.mark.parametrize("name", list(CASES))
def test_the_page_refuses_at_the_preview_and_changes_nothing(client, ishoj, name):
    make, message = CASES[name]
    client.force_login(ishoj)
    before = everything()
    response = client.post(IMPORT, {"file": SimpleUploadedFile("x.xlsx", make())})
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert message in html and 'name="token"' not in html
    assert everything() == before


@pytest.mark.parametrize("name", ["grant above 2^63", "specification of 501 characters"])
def test_the_command_refuses_without_a_traceback(ishoj, tmp_path, name):
    make, message = CASES[name]
    path = tmp_path / "ishoj-2016.xlsx"
    path.write_bytes(make())
    before = everything()
    for args in ([], ["--dry-run"]):
        with pytest.raises(CommandError) as exc:
            call_command("import_statement", str(path), *args, stdout=io.StringIO())
        assert message in str(exc.value)
    assert everything() == before


def test_text_at_the_limits_is_accepted(ishoj):
    parsed = parse_statement_workbook(edited(with_box1("Æ\tb\n" * (BOX1_MAX // 4) + "ØØØ")))
    assert parsed.errors == []
    parsed = parse_statement_workbook(edited(with_other_spec("x" * 500)))
    assert parsed.errors == []
    parsed = parse_statement_workbook(edited(with_cell("Tilskud:", 2, MAX_KRONER - 1)))
    assert parsed.errors == []


# --- the confirmation: a signed preview that the database would refuse ---------------------------


def confirm(client, values_of) -> object:
    """POST the confirmation of a preview whose values `values_of` changes: a preview made before
    a limit existed, or one the parser let through by mistake."""
    s = get_statement("183", 2016)
    parsed = parse_statement_workbook(edited(fill))
    assert parsed.errors == []
    values_of(parsed)
    return client.post(IMPORT, {"token": _pack_import(s, parsed, "x.xlsx")})


def too_long_specification(parsed: ParsedStatement) -> None:
    parsed.values.specifications[other_row().pk] = "x" * 501


def grant_beyond_64_bits(parsed: ParsedStatement) -> None:
    parsed.values.grant = 2**63 + 1


@pytest.mark.parametrize("values_of", [too_long_specification, grant_beyond_64_bits])
def test_a_confirmation_the_database_would_refuse_is_a_clear_error(client, ishoj, values_of):
    client.force_login(ishoj)
    before = everything()
    response = confirm(client, values_of)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Intet er ændret" in html and "Værdierne i filen kan ikke gemmes" in html
    assert everything() == before
