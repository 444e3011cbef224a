"""The ministry's grant table (issue 10, item 5): read from .xlsx or CSV, previewed, applied all
or nothing; a submitted statement's grant changes only as a confirmed, audited correction; the
shipped table (fixtures/reference/) is the seed's, and a second run changes nothing."""

import io
import re
import zipfile
from io import BytesIO

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from grants.grant_table import GrantTableRefused, read_grant_table
from grants.models import (
    AllocationLine,
    AuditEvent,
    Grant,
    Municipality,
    Programme,
    SourceDocument,
    Statement,
)
from grants.seed import FIXTURES, GRANT_TABLES, load_grant_tables
from grants.services import (
    GRANT_CORRECTION_REASON,
    CorrectionRequired,
    GrantTableError,
    apply_grant_table,
    plan_grant_table,
)
from tests.conftest import audit_size, recorded
from tests.factories import make_grant_year, make_programme, make_statement

IMPORT_URL = "/admin/grants/grant/indlaes-tabel/"
SHIPPED = FIXTURES / "reference" / GRANT_TABLES[0][0]


# --- Test data --------------------------------------------------------------------------------


@pytest.fixture
def programme(seed) -> Programme:
    """A programme of its own with two years, 2030 and 2031, each with a small form."""
    pool = make_programme("testpulje", first_year=2030, last_year=2031)
    make_grant_year(2030, programme=pool)
    make_grant_year(2031, programme=pool)
    return pool


def xlsx(rows: list[list]) -> bytes:
    """A workbook laid out as the ministry's: written with XlsxWriter, one sheet."""
    out = BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("Tabel 1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    wb.close()
    return out.getvalue()


def ministry_rows(*rows: list) -> list[list]:
    """A title row, a blank row, the header, `rows`, a blank row and two footnotes."""
    return [
        ["Tilskud til testpuljen fordelt på kommuner, 2030-2031"],
        [],
        ["Kommune", "Tilskud 2030", "Tilskud 2031*"],
        *rows,
        [],
        ["* Foreløbigt tilskud."],
        ["Kilde: Ministeriets testtabel, 2030"],
    ]


def csv_bytes(text: str, *, bom: bool = True) -> bytes:
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def figures_of(table) -> list[tuple[str, int, int, str]]:
    return [(f.municipality.code, f.year, f.amount, f.cell) for f in table.figures]


def state() -> tuple:
    """Everything a grant table may write: nothing changes on a refusal."""
    return (
        sorted(Grant.objects.values_list("municipality_id", "grant_year_id", "amount", "source")),
        sorted(Statement.objects.values_list("pk", "status", "version")),
        AllocationLine.objects.count(),
        SourceDocument.objects.count(),
        audit_size(),
    )


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_grants", *args, stdout=out)
    return out.getvalue()


def apply(programme: Programme, table, user, **options):
    """apply_grant_table as an administrator runs it, on a table read by read_grant_table."""
    options.setdefault("source", "T")
    return apply_grant_table(
        programme=programme, figures=table.figures, acting_user=user, **options
    )


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# --- Reading the table ------------------------------------------------------------------------


def test_the_ministry_xlsx_with_title_blank_and_footnote_rows(programme):
    data = xlsx(
        ministry_rows(
            ["Lyngby-Taarbæk Kommune", 11_280_000, 11_500_000],
            ["Åbenrå", 7_000_000.0, None],  # a blank cell is no figure, not 0
            ["Hoeje-Taastrup", "4.100.000", "4 200 000"],
            ["400", None, 10_000_000],  # Bornholm by its code
            ["Ishøj", None, None],  # named, no figures
        )
    )
    table = read_grant_table(data, filename="tabel.xlsx", programme=programme)
    assert figures_of(table) == [
        ("173", 2030, 11_280_000, "B4"),
        ("173", 2031, 11_500_000, "C4"),
        ("580", 2030, 7_000_000, "B5"),
        ("169", 2030, 4_100_000, "B6"),
        ("169", 2031, 4_200_000, "C6"),
        ("400", 2031, 10_000_000, "C7"),
    ]
    assert table.years == [2030, 2031]
    assert table.source_note == "Ministeriets testtabel, 2030"
    assert table.figures[0].ref == "Række 4, B4"
    assert any(note.startswith("Række 1: 'Tilskud til testpuljen") for note in table.skipped)
    assert "Række 10: '* Foreløbigt tilskud.' er en note og er udeladt." in table.skipped


def test_a_semicolon_csv_with_bom_and_danish_numbers(programme):
    text = (
        "Tilskud til testpuljen;;\n"
        ";;\n"
        "Kommune;Tilskud 2030;Tilskud 2031\n"
        "Lyngby-Taarbæk;11.280.000;11 280 000\n"
        '"Københavns Kommune";"1.000.000";\n'
        "Kilde: Ministeriets testtabel;;\n"
    )
    table = read_grant_table(csv_bytes(text), filename="tabel.csv", programme=programme)
    assert figures_of(table) == [
        ("173", 2030, 11_280_000, "B4"),
        ("173", 2031, 11_280_000, "C4"),
        ("101", 2030, 1_000_000, "B5"),
    ]
    # Without the byte order mark, and with commas between the fields, it reads the same.
    comma = text.replace(";", ",").replace("11 280 000", '"11.280.000"')
    table = read_grant_table(csv_bytes(comma, bom=False), filename="t.csv", programme=programme)
    assert [f.amount for f in table.figures] == [11_280_000, 11_280_000, 1_000_000]


@pytest.mark.parametrize(
    ("printed", "code"),
    [
        ("Lyngby-Taarbæk", "173"),
        ("LYNGBY-TAARBÆK KOMMUNE", "173"),
        ("Lyngby Taarbæk", "173"),
        ("Aabenraa", "580"),
        ("Åbenrå Kommune", "580"),
        ("Høje-Taastrup", "169"),
        ("Hoeje-Taastrup", "169"),
        ("Høje Tåstrup", "169"),
        ("Bornholms Regionskommune", "400"),
        ("Københavns Kommune", "101"),
        ("Århus", "751"),
        ("Nordfyn", "480"),
        ("Ærø", "492"),
        ("Aeroe", "492"),
        ("Ishøj*", "183"),
        ("183", "183"),
        ("0101", "101"),
    ],
)
def test_municipalities_as_the_ministry_prints_them(programme, printed, code):
    text = f"Kommune;Tilskud 2030\n{printed};1.000\n"
    table = read_grant_table(csv_bytes(text), filename="t.csv", programme=programme)
    assert [f.municipality.code for f in table.figures] == [code]


def test_every_municipality_is_found_by_its_own_name(seed):
    rows = "".join(f"{m.name} Kommune;1\n" for m in Municipality.objects.all())
    programme = Programme.objects.get(slug="vaerdighed")
    table = read_grant_table(
        csv_bytes("Kommune;2016\n" + rows), filename="t.csv", programme=programme
    )
    assert len({f.municipality.pk for f in table.figures}) == 98


# --- Refusals name the row and the cell, and write nothing -------------------------------------


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["Lyngby-Taarbæk", "abc"], "Række 4, B4: 'abc' er ikke et beløb."),
        (["Lyngby-Taarbæk", "-5.000"], "Række 4, B4: Beløbet må ikke være negativt."),
        (["Lyngby-Taarbæk", -5000], "Række 4, B4: beløbet må ikke være negativt."),
        (["Lyngby-Taarbæk", 1000.5], "Række 4, B4: beløbet skal være hele kroner uden øre."),
        (["Lyngby-Taarbæk", "1000,50"], "Række 4, B4: Beløbet skal være hele kroner uden øre."),
        (["Lyngby-Taarbæk", "=B5*2"], "Række 4, B4: cellen indeholder en formel; skriv et beløb."),
        (["Atlantis", 1000], "Række 4, A4: 'Atlantis' er ikke en kommune."),
        (["Lyngbi-Taarbæk", 1000], "(mente du Lyngby-Taarbæk?)"),
        (["999", 1000], "Række 4, A4: '999' er ikke en kommune."),
        ([None, 1000], "Række 4, A4: kommunen mangler."),
    ],
)
def test_a_bad_cell_is_refused_naming_row_and_cell(programme, tmp_path, row, message):
    data = xlsx(ministry_rows(row, ["Ishøj", 2_000_000, 2_000_000]))
    with pytest.raises(GrantTableRefused) as refused:
        read_grant_table(data, filename="t.xlsx", programme=programme)
    assert any(message in error for error in refused.value.errors), refused.value.errors
    # The command refuses it as a whole: nothing is written, not even Ishøj's good figures.
    before = state()
    with pytest.raises(CommandError, match=re.escape(message)):
        run(write(tmp_path, "t.xlsx", data), "--programme", "testpulje")
    assert state() == before


def test_control_characters_are_refused_in_any_cell(programme):
    text = "Titel\x1b;;\nKommune;2030\nIshøj;1\nKilde: x\x07;\n"
    with pytest.raises(GrantTableRefused) as refused:
        read_grant_table(csv_bytes(text), filename="t.csv", programme=programme)
    assert refused.value.errors == [
        "Række 1, A1: Teksten indeholder et kontroltegn (U+001B) ved tegn nr. 6. "
        "Fjern det, og prøv igen.",
        "Række 4, A4: Teksten indeholder et kontroltegn (U+0007) ved tegn nr. 9. "
        "Fjern det, og prøv igen.",
    ]


def test_a_duplicated_municipality_and_a_year_the_programme_lacks(programme):
    text = (
        "Kommune;Tilskud 2030;Tilskud 2029;Tilskud 2031\n"
        "Ishøj;1;;\n"
        "Lyngby-Taarbæk;2;;\n"
        "Ishøj Kommune;3;;\n"
    )
    with pytest.raises(GrantTableRefused) as refused:
        read_grant_table(csv_bytes(text), filename="t.csv", programme=programme)
    assert refused.value.errors == [
        "Række 1, C1: Pulje testpulje har ikke året 2029.",
        "Række 4, A4: Ishøj står også i række 2.",
    ]


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        ("Tilskud 2030 (mio. kr.)", "angiver en enhed; beløbene skal stå i hele kroner"),
        ("Tilskud 2030-2031", "nævner flere år"),
    ],
)
def test_headings_that_are_not_one_year_in_kroner_are_refused(programme, heading, message):
    text = f"Kommune;{heading}\nIshøj;1\n"
    with pytest.raises(GrantTableRefused, match=re.escape(message)):
        read_grant_table(csv_bytes(text), filename="t.csv", programme=programme)


def test_a_table_without_header_or_figures_is_refused(programme):
    with pytest.raises(GrantTableRefused, match="ingen overskriftsrække med et år"):
        read_grant_table(
            csv_bytes("Kommune;Tilskud\nIshøj;1\n"), filename="t.csv", programme=programme
        )
    with pytest.raises(GrantTableRefused, match="ingen tilskud"):
        read_grant_table(csv_bytes("Kommune;2030\nIshøj;\n"), filename="t.csv", programme=programme)


def zip_bomb() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook><sheets><sheet/></sheets></workbook>")
        z.writestr("xl/worksheets/sheet1.xml", "<a>" + "0" * 3_000_000 + "</a>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("t.xlsx", zip_bomb(), "zip-bombe"),
        ("t.xlsx", b"PK\x03\x04 not really a zip", "ikke et Excel-regneark"),
        ("t.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "gamle Excel-format"),
        ("t.csv", "Kommune;2030\nIshøj;1\n".encode("cp1252"), "ikke UTF-8"),
        ("t.csv", b"Kommune;2030\nIsh\x00j;1\n", "NUL-tegn"),
        ("t.csv", b"Kommune;2030\n" + b"Ishoj;1\n" * 300_000, "for stor"),
        ("t.csv", b"Kommune;2030\n" + b"Ishoj;1\n" * 600, "højst 500 rækker"),
    ],
)
def test_hostile_files_are_refused_before_they_are_read(programme, name, data, message):
    with pytest.raises(GrantTableRefused, match=message):
        read_grant_table(data, filename=name, programme=programme)


# --- Applying: new, changed, unchanged; submitted statements ------------------------------------


def test_new_grants_get_their_draft_statement_and_the_tables_source(programme, administrator):
    text = "Kommune;Tilskud 2030;Tilskud 2031\nIshøj;2.000.000;2.100.000\nKilde: Testkilde;;\n"
    table = read_grant_table(csv_bytes(text), filename="t.csv", programme=programme)
    plan = apply(programme, table, administrator, source=table.source_note, filename="t.csv")
    assert (len(plan.new), len(plan.changed), len(plan.unchanged)) == (2, 0, 0)
    grant = Grant.objects.get(
        municipality__code="183", grant_year__programme=programme, grant_year__year=2030
    )
    assert grant.amount == 2_000_000 and grant.source.title == "Testkilde"
    statement = grant.statement
    assert statement.status == Statement.Status.DRAFT
    assert statement.lines.count() == grant.grant_year.rows.count() == 4
    event = AuditEvent.objects.get(statement=statement)
    assert (event.action, event.actor, event.source, event.filename) == (
        "create",
        administrator,
        grant.source,
        "t.csv",
    )
    assert recorded(statement=statement) == [("Tilskud", "–", "2.000.000")]


def test_a_draft_grant_is_changed_and_audited_an_equal_one_left_alone(programme, administrator):
    grant_year = programme.years.get(year=2030)
    draft = make_statement("183", grant_year, {"omraade": 1_000_000}, submitted=False)
    same = make_statement("173", grant_year, {"omraade": 5_000_000}, submitted=False)
    text = "Kommune;2030\nIshøj;1.200.000\nLyngby-Taarbæk;5.000.000\n"
    table = read_grant_table(csv_bytes(text), filename="t.csv", programme=programme)
    plan = plan_grant_table(programme=programme, figures=table.figures)
    assert [(e.label, e.kind, e.before, e.amount) for e in plan.entries] == [
        ("Ishøj 2030", "changed", 1_000_000, 1_200_000),
        ("Lyngby-Taarbæk 2030", "unchanged", 5_000_000, 5_000_000),
    ]
    apply(programme, table, administrator, source="Tabel")
    draft.refresh_from_db()
    assert draft.grant.amount == 1_200_000 and draft.grant.source.title == "Tabel"
    assert draft.version == 2  # an edit form opened before the change is stale now
    assert recorded(statement=draft, action="grant_correction") == [
        ("Tilskud", "1.000.000", "1.200.000")
    ]
    assert not AuditEvent.objects.filter(statement=same).exists()


def test_a_submitted_statements_grant_is_protected_unless_corrected(programme, administrator):
    grant_year = programme.years.get(year=2030)
    submitted = make_statement("173", grant_year, {"omraade": 11_280_000})
    text = "Kommune;2030\nIshøj;2.000.000\nLyngby-Taarbæk;11.000.000\n"
    table = read_grant_table(csv_bytes(text), filename="t.csv", programme=programme)
    plan = plan_grant_table(programme=programme, figures=table.figures)
    assert [e.label for e in plan.corrections] == ["Lyngby-Taarbæk 2030"]
    assert plan.corrections[0].kind_label == "Rettelse af indsendt redegørelse"

    before = state()
    with pytest.raises(CorrectionRequired) as refused:
        apply(programme, table, administrator)
    assert refused.value.errors == [
        "Række 3, B3: redegørelsen for Lyngby-Taarbæk 2030 er indsendt; tilskuddet ændres fra "
        "11.280.000 til 11.000.000 kr. kun som en bekræftet rettelse, der genåbner redegørelsen."
    ]
    assert state() == before  # not even Ishøj's new grant

    apply(programme, table, administrator, correct=True)
    submitted.refresh_from_db()
    assert submitted.status == Statement.Status.DRAFT and submitted.submitted_at is None
    assert submitted.grant.amount == 11_000_000
    reopen, correction = AuditEvent.objects.filter(statement=submitted).order_by("id")
    assert (reopen.action, reopen.reason, reopen.actor) == (
        "reopen",
        GRANT_CORRECTION_REASON,
        administrator,
    )
    assert reopen.reason == "Tilskuddet rettet efter ministeriets tabel"
    assert (correction.action, correction.actor, correction.source.title) == (
        "grant_correction",
        administrator,
        "T",
    )
    assert [(c.field, c.before_amount, c.after_amount) for c in correction.changes.all()] == [
        ("grant", 11_280_000, 11_000_000)
    ]
    if connection.vendor == "postgresql":
        # The deferred balance trigger (migration 0004) would fail the commit of a submitted
        # statement whose tables no longer sum to its grant: the reopened draft passes it.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Without the reopening, the database refuses the same change.
        other = make_statement("400", grant_year, {"omraade": 1_000})
        with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
            Grant.objects.filter(pk=other.grant_id).update(amount=2_000)


def test_a_correction_is_refused_once_the_accounts_are_started(programme, administrator):
    grant_year = programme.years.get(year=2030)
    submitted = make_statement("173", grant_year, {"omraade": 1_000})
    Statement.objects.filter(pk=submitted.pk).update(accounts_status=Statement.AccountsStatus.DRAFT)
    table = read_grant_table(
        csv_bytes("Kommune;2030\nLyngby-Taarbæk;2.000\n"), filename="t.csv", programme=programme
    )
    before = state()
    with pytest.raises(GrantTableError, match="regnskabet for Lyngby-Taarbæk 2030 er påbegyndt"):
        apply(programme, table, administrator, correct=True)
    assert state() == before


def test_a_second_run_changes_nothing(programme, administrator, tmp_path):
    path = write(
        tmp_path,
        "tabel.xlsx",
        xlsx(ministry_rows(["Ishøj", 1_000, 2_000], ["Dragør", 3_000, None])),
    )
    first = run(path, "--programme", "testpulje", "--user", administrator.username)
    assert "Pulje testpulje: 3 nye, 0 ændrede, 0 uændrede tilskud. Gemt." in first
    assert SourceDocument.objects.filter(title="Ministeriets testtabel, 2030").count() == 1
    before = state()
    second = run(path, "--programme", "testpulje")
    assert "0 nye, 0 ændrede, 3 uændrede tilskud. Der var intet at ændre." in second
    assert "Række 4, B4: Ishøj 2030: uændret, 1.000" in second
    assert state() == before


# --- The command ----------------------------------------------------------------------------


def test_the_command_dry_run_shows_every_change_and_writes_nothing(programme, tmp_path):
    make_statement("173", programme.years.get(year=2030), {"omraade": 1_000})
    path = write(
        tmp_path,
        "tabel.csv",
        csv_bytes("Kommune;2030\nIshøj;2.000\nLyngby-Taarbæk;1.500\nKilde: K;\n"),
    )
    before = state()
    with pytest.raises(CommandError) as refused:
        run(path, "--programme", "testpulje", "--dry-run")
    assert "Række 3, B3: redegørelsen for Lyngby-Taarbæk 2030 er indsendt" in str(refused.value)
    assert "Kør igen med --correct" in str(refused.value)
    output = run(path, "--programme", "testpulje", "--dry-run", "--correct")
    assert "Kilde: K" in output
    assert "Række 2, B2: Ishøj 2030: nyt, 2.000" in output
    assert (
        "Række 3, B3: Lyngby-Taarbæk 2030: ændret, 1.000 -> 1.500 "
        "(indsendt: rettelse, genåbner redegørelsen)"
    ) in output
    assert "1 nyt, 1 ændret (heraf 1 rettelse af en indsendt redegørelse), 0 uændrede" in output
    assert "Prøvekørsel: intet er gemt." in output
    assert state() == before
    output = run(path, "--programme", "testpulje", "--correct", "--source-title", "Min titel")
    assert (
        Grant.objects.get(municipality__code="173", grant_year__programme=programme).amount == 1_500
    )
    assert SourceDocument.objects.filter(title="Min titel").exists()


def test_the_command_refuses_what_it_cannot_find(programme, tmp_path):
    with pytest.raises(CommandError, match="findes ikke"):
        run(str(tmp_path / "mangler.csv"))
    path = write(tmp_path, "t.csv", csv_bytes("Kommune;2030\nIshøj;1\n"))
    with pytest.raises(CommandError, match="Puljen 'ukendt' findes ikke"):
        run(path, "--programme", "ukendt")
    with pytest.raises(CommandError, match="Brugeren ingen findes ikke"):
        run(path, "--programme", "testpulje", "--user", "ingen")


# --- The shipped table: the seed's real grants ---------------------------------------------------


def test_the_seed_registers_the_shipped_tables_real_grants(seed):
    source = SourceDocument.objects.get(key="ft-978")
    assert source.title == (
        "Folketingets Sundheds- og Ældreudvalg, spm. 978 (Alm. del 2017-18), svar 8. juni 2018, "
        "tabel 1"
    )
    grants = {
        (g.municipality.code, g.grant_year.year): g.amount
        for g in Grant.objects.filter(source=source).select_related("municipality", "grant_year")
    }
    assert len(grants) == 22
    assert grants[("165", 2016)] == 4_032_000 and grants[("400", 2017)] == 10_296_000
    assert ("530", 2018) not in grants  # a blank cell: no figure
    # The rows that agree with the seed's statements changed nothing: their source stays.
    lyngby = Grant.objects.get(
        municipality__code="173", grant_year__year=2018, grant_year__programme__slug="vaerdighed"
    )
    assert (lyngby.amount, lyngby.source.key, lyngby.statement.status) == (
        11_280_000,
        "000",
        "submitted",
    )
    assert not AuditEvent.objects.filter(grant=lyngby).exclude(action="seed").exists()
    ishoj = Grant.objects.get(
        municipality__code="183", grant_year__year=2016, grant_year__programme__slug="vaerdighed"
    )
    assert (ishoj.amount, ishoj.source.key) == (2_844_000, "002")
    assert load_grant_tables() == 0


def test_import_grants_on_the_shipped_table_registers_the_real_grants_then_changes_nothing(seed):
    """The issue's Done-when, from a database without the table's grants."""
    shipped = Grant.objects.filter(source__key="ft-978")
    Statement.objects.filter(grant__in=shipped).delete()
    shipped.delete()
    output = run(str(SHIPPED), "--programme", "vaerdighed", "--dry-run")
    assert "22 nye, 0 ændrede, 2 uændrede tilskud. Prøvekørsel: intet er gemt." in output
    assert not Grant.objects.filter(source__key="ft-978").exists()
    output = run(str(SHIPPED), "--programme", "vaerdighed")
    assert "Værdighedsmilliarden: 22 nye, 0 ændrede, 2 uændrede tilskud. Gemt." in output
    assert "Kilde: Folketingets Sundheds- og Ældreudvalg, spm. 978" in output
    assert Grant.objects.filter(source__key="ft-978").count() == 22  # chosen by its title
    before = state()
    output = run(str(SHIPPED))  # --programme defaults to vaerdighed
    assert "0 nye, 0 ændrede, 24 uændrede tilskud. Der var intet at ændre." in output
    assert state() == before


# --- The admin page -------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "tabel.csv", **fields):
    return client.post(
        IMPORT_URL,
        {"file": SimpleUploadedFile(name, data), "programme": "testpulje", **fields},
    )


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


TABLE = "Kommune;Tilskud 2030\nIshøj;2.000.000\nLyngby-Taarbæk;1.500\nKilde: Testkilde;\n"


def test_an_administrator_uploads_previews_and_confirms(client, administrator, programme):
    make_statement("173", programme.years.get(year=2030), {"omraade": 1_000})
    client.force_login(administrator)
    changelist = client.get(reverse("admin:grants_grant_changelist")).content.decode()
    assert f'<a href="{IMPORT_URL}">Indlæs ministeriets tilskudstabel</a>' in changelist
    assert client.get(IMPORT_URL).status_code == 200

    before = state()
    preview = upload(client, csv_bytes(TABLE))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "1 nyt, 1 ændret (heraf 1 rettelse af en indsendt redegørelse), 0 uændrede" in html
    assert "Kilde: Testkilde" in html and "Rettelse af indsendt redegørelse" in html
    assert 'name="correct"' in html
    assert state() == before  # a preview writes nothing

    # Confirmed without the correction ticked: refused, nothing written, the preview again.
    refused = client.post(IMPORT_URL, {"token": token_of(preview)})
    assert refused.status_code == 400
    assert (
        "Række 3, B3: redegørelsen for Lyngby-Taarbæk 2030 er indsendt" in refused.content.decode()
    )
    assert state() == before

    done = client.post(IMPORT_URL, {"token": token_of(preview), "correct": "on"})
    assert done.status_code == 302 and done["Location"] == reverse("admin:grants_grant_changelist")
    amounts = dict(
        Grant.objects.filter(grant_year__programme=programme).values_list(
            "municipality__code", "amount"
        )
    )
    assert amounts == {"183": 2_000_000, "173": 1_500}
    page = client.get(done["Location"]).content.decode()
    assert "Tilskudstabellen tabel.csv er indlæst: 1 nyt, 1 ændret" in page
    assert recorded(grant__municipality__code="173", action="grant_correction") == [
        ("Tilskud", "1.000", "1.500")
    ]
    history = client.get("/statements/173/testpulje/2030/history/").content.decode()
    assert "Tilskud rettet efter ministeriets tabel" in history
    assert "Begrundelse: Tilskuddet rettet efter ministeriets tabel" in history
    assert 'Fra kildedokumentet "Testkilde"</p>' in history  # no "()" without a publisher


def test_the_admin_page_names_every_bad_cell(client, administrator, programme):
    client.force_login(administrator)
    before = state()
    response = upload(client, csv_bytes("Kommune;2030\nIshøj;abc\nUkendtby;1\n"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Række 2, B2: &#x27;abc&#x27; er ikke et beløb." in html
    assert "Række 3, A3: &#x27;Ukendtby&#x27; er ikke en kommune." in html
    assert 'name="token"' not in html
    assert state() == before


def test_a_confirmation_after_the_grants_changed_writes_nothing(client, administrator, programme):
    statement = make_statement(
        "173", programme.years.get(year=2030), {"omraade": 1_000}, submitted=False
    )
    client.force_login(administrator)
    preview = upload(client, csv_bytes(TABLE))
    Grant.objects.filter(pk=statement.grant_id).update(amount=1_200)
    before = state()
    response = client.post(IMPORT_URL, {"token": token_of(preview), "correct": "on"})
    assert response.status_code == 409
    assert "Tilskuddene er ændret, siden forhåndsvisningen blev lavet" in response.content.decode()
    assert state() == before
    tampered = client.post(IMPORT_URL, {"token": token_of(preview)[:-2] + "xx"})
    assert tampered.status_code == 400 and "udløbet eller ugyldig" in tampered.content.decode()
    assert state() == before


@pytest.mark.parametrize("persona", ["lyngby", "reader"])
def test_finance_staff_and_readers_are_refused_and_nothing_changes(
    client, request, persona, programme, administrator
):
    client.force_login(administrator)
    token = token_of(upload(client, csv_bytes(TABLE.replace("Lyngby-Taarbæk;1.500\n", ""))))
    user = request.getfixturevalue(persona)
    client.force_login(user)
    before = state()
    for response in (
        client.get(IMPORT_URL),
        upload(client, csv_bytes(TABLE)),
        client.post(IMPORT_URL, {"token": token}),
    ):
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # Even with access to the admin (is_staff), only an administrator may import.
    user.is_staff = True
    user.save()
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"token": token}).status_code == 403
    assert state() == before


def test_the_administrator_may_name_the_source(client, administrator, programme):
    client.force_login(administrator)
    before = state()
    refused = upload(client, csv_bytes(TABLE), source_title="Tabel\x07")
    assert refused.status_code == 400 and "kontroltegn (U+0007)" in refused.content.decode()
    preview = upload(client, csv_bytes(TABLE), source_title="  Ministeriets brev af 1. maj  ")
    assert "Kilde: Ministeriets brev af 1. maj" in preview.content.decode()
    assert state() == before
    client.post(IMPORT_URL, {"token": token_of(preview), "correct": "on"})
    grant = Grant.objects.get(municipality__code="183", grant_year__programme=programme)
    assert grant.source.title == "Ministeriets brev af 1. maj"
