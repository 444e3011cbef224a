"""A whole year in one workbook and as CSV, read back and recalculated by LibreOffice."""

import csv
import io
from io import BytesIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from grants.exports import year_summary_rows, year_workbook
from grants.models import FormRow, Grant, GrantYear
from tests.factories import make_grant_year, make_statement
from tests.libreoffice import convert, recalculated_rows
from tests.readers import by_label, calamine_rows, stored_rows


def test_year_workbook_summary_and_sheets(client, ishoj_reader, tmp_path):
    client.force_login(ishoj_reader)
    response = client.get("/years/vaerdighed/2018/export.xlsx")
    assert response.status_code == 200
    path = tmp_path / "redegoerelser-2018.xlsx"
    path.write_bytes(response.content)
    wb = load_workbook(path)
    # A sheet per statement of the year the reader may see, by municipality code: Ishøj's
    # own committee member sees its 2018 draft too.
    assert wb.sheetnames == ["Oversigt", "173 Lyngby-Taarbæk", "183 Ishøj"]
    summary = wb["Oversigt"]
    header = [c.value for c in summary[1]]
    assert header[:4] == ["Kommunekode", "Kommune", "Tilskud", "Status"]
    assert summary.freeze_panes == "C2" and summary["C1"].font.b
    rows = {r[0].value: r for r in summary.iter_rows(min_row=2)}
    assert len(rows) == 99  # 98 municipalities and the national row
    lyngby = [c.value for c in rows["173"]]
    assert lyngby[1:4] == ["Lyngby-Taarbæk", 11_280_000, "Indsendt"]
    assert lyngby[header.index("Tabel 1 – Livskvalitet")] == 8_879_000
    assert lyngby[header.index("Tabel 1 i alt")] == 11_280_000
    assert lyngby[header.index("Tabel 2 i alt")] == 11_280_000
    copenhagen = [c.value for c in rows["101"]]
    assert copenhagen[3] == "Ikke påbegyndt" and copenhagen[2] is None
    national = rows[None] if None in rows else rows[""]
    assert national[1].value == "I alt"
    assert str(national[2].value).startswith("=SUM(C2:C99)")
    assert wb["173 Lyngby-Taarbæk"]["B4"].value == 11_280_000


def test_a_year_shows_another_municipalitys_draft_as_not_submitted(client, reader):
    client.force_login(reader)
    wb = load_workbook(BytesIO(client.get("/years/vaerdighed/2018/export.xlsx").content))
    assert wb.sheetnames == ["Oversigt", "173 Lyngby-Taarbæk"]
    rows = {r[0]: r for r in wb["Oversigt"].iter_rows(min_row=2, values_only=True)}
    assert rows["183"][1:4] == ("Ishøj", 2_844_000, "Ikke indsendt")  # its grant, no figures
    assert set(rows["183"][4:]) == {None}
    text = client.get("/years/vaerdighed/2018/export.csv").content.decode("utf-8-sig")
    assert "183;Ishøj;2.844.000;Ikke indsendt;;" in text


def national_grant(year: int) -> int:
    return sum(
        Grant.objects.filter(
            grant_year__programme__slug="vaerdighed", grant_year__year=year
        ).values_list("amount", flat=True)
    )


@pytest.mark.parametrize(
    "read", [stored_rows, calamine_rows], ids=["openpyxl-data-only", "calamine"]
)
def test_the_national_row_carries_its_totals(read, seed):
    """The national row's =SUM formulas are stored with the totals of `year_summary_rows`, the
    same row the CSV holds; each statement's sheet carries its own totals."""
    make_statement("167", 2018, {"livskvalitet": 1_000, "andet": 500}, submitted=False)
    grant_year = GrantYear.objects.get(programme__slug="vaerdighed", year=2018)
    data = year_workbook(grant_year)
    rows = read(data, "Oversigt")
    header, national = rows[0], rows[-1]
    grants = national_grant(2018)  # Lyngby-Taarbæk's, Ishøj's (an empty draft) and Hvidovre's
    assert national[1] == "I alt"
    assert national[header.index("Tabel 1 i alt")] == 11_281_500
    assert national[header.index("Tabel 1 – Andet")] == 500
    assert national[header.index("Tabel 2 – Andet")] == 300_000
    assert national[2:4] == [grants, "7 redegørelser"]
    assert national[4:] == list(year_summary_rows(grant_year))[-1][4:]
    sheet = by_label(read(data, "167 Hvidovre"))
    assert [r[1] for r in sheet["Udmøntning i alt"]] == [1_500, 1_500]


def test_export_year_command_writes_the_same_workbook(client, administrator, tmp_path):
    """The command is the operator's: every statement, as an administrator downloads it."""
    call_command("export_year", "2018", "-o", str(tmp_path / "cmd.xlsx"))
    client.force_login(administrator)
    (tmp_path / "web.xlsx").write_bytes(client.get("/years/vaerdighed/2018/export.xlsx").content)

    def cells(p):
        return [[[c.value for c in r] for r in ws.iter_rows()] for ws in load_workbook(p)]

    assert cells(tmp_path / "cmd.xlsx") == cells(tmp_path / "web.xlsx")


def test_year_csv(client, reader):
    client.force_login(reader)
    response = client.get("/years/vaerdighed/2018/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffKommunekode;Kommune;Tilskud;Status;Tabel 1 – Livskvalitet")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    lyngby = next(r for r in rows if r[0] == "173")
    assert lyngby[1:4] == ["Lyngby-Taarbæk", "11.280.000", "Indsendt"]
    # The total is of the statements shown: the national reader's are the submitted ones.
    assert rows[-1][1] == "I alt" and rows[-1][2] == "11.280.000"


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_year_totals(client, ishoj_reader, tmp_path):
    client.force_login(ishoj_reader)
    path = tmp_path / "redegoerelser-2018.xlsx"
    path.write_bytes(client.get("/years/vaerdighed/2018/export.xlsx").content)
    rows = recalculated_rows(path, tmp_path / "out")
    header = rows[0]
    national = next(r for r in rows if len(r) > 1 and r[1] == "I alt")
    assert national[2] == str(national_grant(2018))  # the registered grants, drafts too
    assert national[header.index("Tabel 1 i alt")] == "11280000"  # Ishøj's draft is empty
    assert national[header.index("Tabel 2 – Andet")] == "300000"


@pytest.mark.libreoffice
def test_year_csv_opens_in_libreoffice_with_the_right_numbers(client, reader, tmp_path):
    client.force_login(reader)
    path = tmp_path / "redegoerelser-2018.csv"
    path.write_bytes(client.get("/years/vaerdighed/2018/export.csv").content)
    # Open it as a Danish user would (semicolon, UTF-8, Danish locale), save as xlsx, read back.
    saved = convert(path, tmp_path / "out", "xlsx", infilter="CSV:59,34,76,1,,1030")
    ws = load_workbook(saved).active
    lyngby = next(r for r in ws.iter_rows(values_only=True) if str(r[0]) == "173")
    assert lyngby[1] == "Lyngby-Taarbæk"
    assert lyngby[2] == 11_280_000


def test_a_row_added_to_the_form_later_shifts_no_column(client, ishoj_reader):
    """Columns are matched by row code: a row added after a statement was made is blank for it,
    and the statement's amounts stay under their own headings."""
    grant_year = make_grant_year(2030)
    make_statement("183", grant_year, {"omraade": 700, "andet": 300}, submitted=False)
    # A new first row of Tabel 1: every later row moves one position down (the year's form is
    # not frozen: nothing on it is submitted).
    for row in grant_year.rows.filter(table=1).order_by("-position"):
        row.position += 1
        row.save(update_fields=["position"])
    FormRow.objects.create(
        grant_year=grant_year, table=1, position=1, code="ny", label="Ny række", kind="normal"
    )
    client.force_login(ishoj_reader)
    text = client.get("/years/testpulje/2030/export.csv").content.decode()
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = [h.lstrip("\ufeff") for h in rows[0]]
    ishoj = next(r for r in rows if r[0] == "183")
    assert ishoj[header.index("Tabel 1 – Ny række")] == ""
    assert ishoj[header.index("Tabel 1 – Et område")] == "700"
    assert ishoj[header.index("Tabel 1 – Andet")] == "300"
    assert ishoj[header.index("Tabel 1 i alt")] == "1.000"
