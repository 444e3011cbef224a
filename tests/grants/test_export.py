"""The statement workbook: written to disk, read back with openpyxl, recalculated by LibreOffice."""

import shutil
from io import BytesIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from grants.exports import statement_workbook
from grants.rules import statement_figures
from grants.services import StatementValues, reopen_statement, save_statement
from tests.conftest import get_statement
from tests.factories import make_grant_year, make_statement
from tests.libreoffice import recalculated_rows
from tests.readers import by_label, calamine_rows, printed_on_a4_fitted_to_width, stored_rows

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def export(client, user, code="173", year=2018) -> bytes:
    client.force_login(user)
    response = client.get(f"/statements/{code}/vaerdighed/{year}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f'filename="redegoerelse-{code}-{year}.xlsx"' in response["Content-Disposition"]
    return response.content


def label_map(ws) -> dict[str, list]:
    out: dict[str, list] = {}
    for a, b, *_ in ws.iter_rows(min_col=1, max_col=3):
        if a.value is not None:
            out.setdefault(a.value, []).append((b, a.row))
    return out


def test_workbook_has_every_figure_beside_its_label(client, reader, tmp_path):
    path = tmp_path / "redegoerelse-173-2018.xlsx"
    path.write_bytes(export(client, reader))
    ws = load_workbook(path).active
    assert (
        ws["A1"].value
        == "Redegørelse for anvendelsen af midlerne til en mere værdig ældrepleje i 2018"
    )
    assert (ws["A3"].value, ws["B3"].value) == ("Kommune:", "Lyngby-Taarbæk Kommune")
    assert (ws["A4"].value, ws["B4"].value) == ("Tilskud:", 11_280_000)
    labels = label_map(ws)
    expected = {
        "Livskvalitet": [8_879_000],
        "Selvbestemmelse": [520_000],
        "Kvalitet, tværfaglighed og sammenhæng i plejen": [1_607_000],
        "Mad og ernæring": [0],
        "En værdig død": [64_000],
        "Andet (…)": [0, 300_000],  # as the form prints it
        "Revision af værdighedspolitik, dialog og administration mv.": [210_000, 210_000],
        "Lønudgifter (mere personale mhp. flere varme hænder)": [10_245_000],
        "Kompetenceudvikling af personale": [425_000],
        "Anskaffelser": [100_000],
    }
    for label, amounts in expected.items():
        cells = [cell for cell, _row in labels[label]]
        assert [c.value for c in cells] == amounts, label
        for c in cells:
            assert type(c.value) is int and c.number_format == "#,##0"
    other_row = labels["Andet (…)"][1][1]
    assert ws.cell(other_row, 3).value == "licenser og indsatser rettet mod de pårørende"
    totals = [cell.value for cell, _ in labels["Udmøntning i alt"]]
    assert totals[0].startswith("=SUM(B") and totals[1].startswith("=SUM(B")
    assert [cell.value for cell, _ in labels["Samlet beløb"]] == ["=B4", "=B4"]
    box2_row = labels[get_statement("173", 2018).grant.grant_year.box2_text][0][1]
    assert ws.cell(box2_row, 2).value == "X"


READERS = pytest.mark.parametrize(
    "read", [stored_rows, calamine_rows], ids=["openpyxl-data-only", "calamine"]
)


@READERS
def test_a_reader_that_never_recalculates_sees_every_total(read, seed):
    """pandas, python-calamine or a phone's preview show the stored results of the formulas:
    the totals are there, not blanks."""
    statement = get_statement("173", 2018)
    rows = by_label(
        read(statement_workbook(statement, statement_figures(statement)), "Redegørelse")
    )
    assert [r[1] for r in rows["Udmøntning i alt"]] == [11_280_000, 11_280_000]
    assert [r[1] for r in rows["Samlet beløb"]] == [11_280_000, 11_280_000]
    assert rows["Tilskud:"][0][1] == 11_280_000
    assert [r[1] for r in rows["Andet (…)"]] == [0, 300_000]


@READERS
def test_a_draft_stores_the_totals_the_page_shows_and_unknown_stays_empty(read, ishoj):
    statement = get_statement("183", 2016)
    lines = list(statement.lines.all())
    save_statement(
        statement=statement,
        acting_user=ishoj,
        expected_version=statement.version,
        values=StatementValues(amounts={lines[0].row_id: 1_000_000, lines[1].row_id: None}),
    )
    statement = get_statement("183", 2016)
    figures = statement_figures(statement)
    assert (figures.table1.total, figures.table2.total) == (1_000_000, 0)
    rows = by_label(read(statement_workbook(statement, figures), "Redegørelse"))
    assert [r[1] for r in rows["Udmøntning i alt"]] == [1_000_000, 0]
    assert [r[1] for r in rows["Samlet beløb"]] == [2_844_000, 2_844_000]
    assert rows[lines[1].row.label][0][1] in (None, "")  # unknown is not 0


def test_document_properties_say_which_statement_the_file_is_for(seed):
    """An import can tell the programme, year and municipality without reading the layout."""

    def properties(statement) -> dict:
        data = statement_workbook(statement, statement_figures(statement))
        return {p.name: p.value for p in load_workbook(BytesIO(data)).custom_doc_props.props}

    lyngby_2018 = get_statement("173", 2018)
    assert properties(lyngby_2018) == {
        "programme": "vaerdighed",
        "year": 2018,
        "municipality": "173",
    }
    make_statement("183", make_grant_year(2030), {"omraade": 1}, submitted=False)
    assert properties(get_statement("183", 2030, programme="testpulje")) == {
        "programme": "testpulje",
        "year": 2030,
        "municipality": "183",
    }


@pytest.mark.parametrize(
    "text", ["=1+1", "@cmd", "+45 12 34 56 78", "-x", '=HYPERLINK("http://example.invalid","x")']
)
def test_text_that_looks_like_a_formula_is_a_string_with_a_quote_prefix(ishoj, text):
    statement = get_statement("183", 2016)
    other = next(line for line in statement.lines.all() if line.row.takes_specification)
    save_statement(
        statement=statement,
        acting_user=ishoj,
        expected_version=statement.version,
        values=StatementValues(specifications={other.row_id: text}, box1=text),
    )
    statement = get_statement("183", 2016)
    data = statement_workbook(statement, statement_figures(statement))
    ws = load_workbook(BytesIO(data)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value == text]
    assert [c.coordinate[0] for c in cells] == ["C", "A"]  # the specification, Boks 1
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    formulas = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert all(f.startswith(("=SUM(B", "=B4")) for f in formulas), formulas
    for read in (stored_rows, calamine_rows):
        assert sum(row.count(text) for row in read(data, "Redegørelse")) == 2


def test_the_sheet_is_laid_out_and_printed_like_the_form(seed):
    statement = get_statement("173", 2018)
    ws = load_workbook(BytesIO(statement_workbook(statement, statement_figures(statement)))).active
    assert ws.title == "Redegørelse" and ws["A1"].font.b and ws["A1"].font.sz == 14
    widths = [ws.column_dimensions[c].width for c in "ABC"]
    assert widths == [pytest.approx(w, abs=1) for w in (62, 16, 45)]
    labels = label_map(ws)
    for _cell, row in labels["Udmøntning i alt"]:
        for total in (ws.cell(row, 1), ws.cell(row, 2)):
            assert total.font.b and total.border.top.style == "thin"
    box1_row = labels[statement.grant.grant_year.box1_title][0][1] + 1
    assert [str(r) for r in ws.merged_cells.ranges] == [f"A{box1_row}:C{box1_row}"]
    assert ws.cell(box1_row, 1).value == statement.box1
    assert ws.cell(box1_row, 1).alignment.wrap_text
    notes = [
        row for label, cells in labels.items() if label.startswith("Note: ") for _, row in cells
    ]
    assert len(notes) == 2 and all(ws.row_dimensions[r].height == 45 for r in notes)
    box2_row = labels[statement.grant.grant_year.box2_text][0][1]
    assert printed_on_a4_fitted_to_width(ws, f"$A$1:$C${box2_row}")


def test_command_writes_the_same_workbook(client, reader, tmp_path):
    out = tmp_path / "cmd.xlsx"
    call_command("export_statement", "173", "2018", "-o", str(out))
    (tmp_path / "web.xlsx").write_bytes(export(client, reader))

    def cells(p):
        return [[c.value for c in r] for r in load_workbook(p).active.iter_rows()]

    assert cells(out) == cells(tmp_path / "web.xlsx")


def test_user_text_starting_like_a_formula_stays_text(client, lyngby, administrator, tmp_path):
    statement = get_statement("173", 2018)
    reopen_statement(statement=statement, acting_user=administrator, reason="test")
    other = statement.lines.get(row__table=2, row__code="andet")
    hostile = '=HYPERLINK("http://example.invalid","klik")'
    save_statement(
        statement=statement,
        acting_user=lyngby,
        expected_version=statement.version,
        values=StatementValues(
            specifications={other.row_id: hostile}, box1="=1+1\n+45 12 34 56\n-minus\n@at"
        ),
    )
    path = tmp_path / "x.xlsx"
    path.write_bytes(export(client, lyngby))
    ws = load_workbook(path).active
    values = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert values[hostile].data_type == "s" and values[hostile].quotePrefix
    assert values["=1+1\n+45 12 34 56\n-minus\n@at"].data_type == "s"
    formulas = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert all(f.startswith(("=SUM(", "=B4")) for f in formulas), formulas


@pytest.mark.libreoffice
def test_libreoffice_recalculates_both_totals_to_the_grant(reader, tmp_path):
    statement = get_statement("173", 2018)
    path = tmp_path / "redegoerelse-173-2018.xlsx"
    path.write_bytes(statement_workbook(statement, statement_figures(statement)))
    rows = recalculated_rows(path, tmp_path / "out")
    totals = [r[1] for r in rows if r and r[0] == "Udmøntning i alt"]
    assert totals == ["11280000", "11280000"]
    assert [r[1] for r in rows if r and r[0] == "Samlet beløb"] == ["11280000", "11280000"]


def test_submitted_export_is_cached_per_version_and_fresh_after_reopening(
    client, lyngby, administrator
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(lyngby)
    first = client.get("/statements/173/vaerdighed/2018/export.xlsx").content
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/statements/173/vaerdighed/2018/export.xlsx").content == first
    # session, user, statement, data version: no lines, no build
    assert len(queries) == 4
    statement = get_statement("173", 2018)
    reopen_statement(statement=statement, acting_user=administrator, reason="ret Boks 1")
    save_statement(
        statement=statement,
        acting_user=lyngby,
        expected_version=statement.version,
        values=StatementValues(box1="Ny tekst"),
    )
    from grants.services import submit_statement

    submit_statement(statement=statement, acting_user=lyngby)
    fresh = client.get("/statements/173/vaerdighed/2018/export.xlsx").content
    assert fresh != first
    from io import BytesIO

    ws = load_workbook(BytesIO(fresh)).active
    assert "Ny tekst" in [c.value for row in ws.iter_rows() for c in row]


def test_a_control_character_in_stored_text_never_breaks_an_export(client, administrator):
    """One \\x01 in Boks 1 answered 500 for that workbook and the whole year's; one \\x07 in an
    initiative's title broke the initiatives' download (openpyxl refuses C0 characters)."""
    from grants.models import Initiative
    from tests.factories import make_initiative

    s = make_statement("187", 2017, {"livskvalitet": 100}, submitted=False, box1="før\x01efter")
    make_initiative("183", title="Klokke\x07spil")
    client.force_login(administrator)
    for url in (
        s.url("statement_export"),
        f"/years/vaerdighed/{s.grant.grant_year.year}/export.xlsx",
        "/initiatives/export.xlsx",
        "/initiatives/export.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    ws = load_workbook(BytesIO(client.get(s.url("statement_export")).content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "førefter" in values, [v for v in values if v and "før" in str(v)]
    assert Initiative.objects.filter(title="Klokke\x07spil").exists()  # stored text untouched


def test_text_beyond_what_a_cell_holds_is_cut_and_logged(seed, caplog):
    """A cell holds 32,767 UTF-16 units; Boks 1's limit counts characters, and a character
    beyond the Basic Multilingual Plane takes two units. The file stays valid; the cut is logged."""
    s = make_statement("187", 2017, {"livskvalitet": 100}, submitted=False, box1="😀" * 20_000)
    data = statement_workbook(s, statement_figures(s))
    box1 = next(v for row in stored_rows(data, "Redegørelse") for v in row if "😀" in str(v))
    assert box1 == "😀" * 16_383
    assert "Text cut to what a cell holds: Redegørelse!A" in caplog.text


def test_exports_are_private_and_revalidated_by_etag(client, reader, lyngby):
    client.force_login(reader)
    for url in (
        "/statements/173/vaerdighed/2018/export.xlsx",
        "/years/vaerdighed/2018/export.csv",
        "/initiatives/export.csv",
    ):
        response = client.get(url)
        assert response["Cache-Control"] == "private, no-cache", url
        etag = response["ETag"]
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304 and again.content == b"", url
    statement_etag = client.get("/statements/173/vaerdighed/2018/export.xlsx")["ETag"]
    assert f"-{get_statement('173', 2018).version}-" in statement_etag
    # Any change to the data gives a new ETag, and the file again.
    from tests.factories import make_initiative

    make_initiative("173", title="Ny indsats")
    response = client.get("/initiatives/export.csv", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "Ny indsats" in response.content.decode("utf-8-sig")
