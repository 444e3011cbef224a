"""The accounts (regnskab): rules, services, pages, permissions, spreadsheet round trip."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from grants.exports import LABEL_UNSPENT, statement_workbook
from grants.imports import parse_statement_workbook
from grants.models import AllocationLine, AuditChange, AuditEvent, Statement
from grants.rules import AccountsRow, accounts_figures, compute_accounts, statement_figures
from grants.services import (
    AccountsFrozen,
    AccountsRulesNotMet,
    AccountsStarted,
    NotSubmitted,
    SameApprover,
    StaleVersion,
    approve_accounts,
    import_statement,
    reopen_accounts,
    reopen_statement,
    save_accounts,
)
from tests.conftest import get_statement
from tests.grants.test_rules import T1, T2
from tests.libreoffice import recalculated_rows
from tests.readers import by_label, calamine_rows, printed_on_a4_fitted_to_width, stored_rows

ACCOUNTS = "/statements/173/vaerdighed/2018/accounts/"
# Lyngby-Taarbæk 2018 as actually spent (illustrative figures for the tests): 45.000 unspent.
ACTUAL_T1 = {
    "livskvalitet": 8_850_000,
    "selvbestemmelse": 515_000,
    "kvalitet": 1_600_000,
    "mad": 0,
    "vaerdig_doed": 60_000,
    "andet": 0,
    "administration": 210_000,
}
ACTUAL_T2 = {
    "loen": 10_220_000,
    "kompetence": 410_000,
    "anskaffelser": 95_000,
    "andet": 300_000,
    "administration": 210_000,
}


def actuals(statement, t2_delta=0):
    out = {}
    for line in statement.lines.all():
        source = ACTUAL_T1 if line.row.table == 1 else ACTUAL_T2
        out[line.row_id] = source[line.row.code]
    loen = next(line for line in statement.lines.all() if line.row.code == "loen")
    out[loen.row_id] += t2_delta
    return out


def snapshot():
    return [
        sorted(map(str, m.objects.values_list()))
        for m in (Statement, AllocationLine, AuditEvent, AuditChange)
    ]


# --- rules -----------------------------------------------------------------------------------


def accounts_of(a1, a2, grant=100):
    rows = [AccountsRow(r, 10, a) for r, a in zip(T1, a1, strict=True)]
    rows += [AccountsRow(r, 10, a) for r, a in zip(T2, a2, strict=True)]
    return compute_accounts(grant=grant, rows=rows)


def test_tables_must_agree_and_every_row_be_filled():
    f = accounts_of([10, 0, 0, 0, 0, 0, 0], [5, 5, 0, 0, 0])
    assert f.errors == [] and f.unspent == 90 and f.tables_gap == 0
    f = accounts_of([10, 0, 0, 0, 0, 0, 0], [5, 4, 0, 0, None])
    codes = [e.code for e in f.errors]
    assert codes == ["actual_missing", "accounts_unbalanced"]
    assert f.errors[0].message == (
        "Regnskab, Tabel 2 – Administration mangler et beløb (skriv 0, hvis intet er brugt)."
    )
    assert "forskel 1 kr." in f.errors[1].message


def test_overspending_is_shown_not_refused():
    f = accounts_of([150, 0, 0, 0, 0, 0, 0], [150, 0, 0, 0, 0])
    assert f.errors == [] and f.unspent == -50


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=7, max_size=7))
def test_shares_add_up_to_exactly_100(values):
    f = accounts_of(values, [sum(values), 0, 0, 0, 0])
    shares = [s for _r, s in f.table1.shares()]
    if sum(values) == 0:
        assert shares == [None] * 7
    else:
        assert sum(shares) == Decimal("100.0")
        for (_r, s), v in zip(f.table1.shares(), values, strict=True):
            assert abs(s - Decimal(v * 100) / sum(values)) <= Decimal("0.1")


# --- services --------------------------------------------------------------------------------


def test_save_approve_and_reopen_accounts(lyngby, lyngby2, administrator):
    s = get_statement("173", 2018)
    entries = save_accounts(
        statement=s, actuals=actuals(s), acting_user=lyngby, expected_version=s.version
    )
    assert s.accounts_status == "draft" and len(entries) == 12
    assert entries[0].label.startswith("Regnskab, Tabel 1 – ")
    assert s.accounts_entered_by_id == lyngby.pk
    # Attestation and approval are two people: the one who entered the figures may not approve.
    before = snapshot()
    with pytest.raises(SameApprover):
        approve_accounts(statement=s, acting_user=lyngby, expected_version=s.version)
    assert snapshot() == before
    figures = approve_accounts(statement=s, acting_user=lyngby2, expected_version=s.version)
    assert figures.unspent == 45_000 and figures.actual_total == 11_235_000
    s.refresh_from_db()
    assert s.accounts_approved and s.accounts_approved_by == lyngby2
    approval = AuditEvent.objects.get(statement=s, action="accounts_approve")  # its own action
    assert approval.changes.get(field="unspent").after_amount == 45_000
    before = snapshot()
    with pytest.raises(AccountsFrozen):
        save_accounts(statement=s, actuals={}, acting_user=lyngby, expected_version=s.version)
    with pytest.raises(AccountsStarted):
        reopen_statement(statement=s, acting_user=administrator, reason="budget")
    assert snapshot() == before
    reopen_accounts(statement=s, acting_user=administrator, reason="Rettelse af løn")
    s.refresh_from_db()
    assert s.accounts_status == "draft"


def test_refusals_change_nothing(lyngby, lyngby2, ishoj):
    s = get_statement("173", 2018)
    save_accounts(
        statement=s,
        actuals=actuals(s, t2_delta=-7_000),
        acting_user=lyngby,
        expected_version=s.version,
    )
    before = snapshot()
    with pytest.raises(AccountsRulesNotMet) as exc:
        approve_accounts(statement=s, acting_user=lyngby2, expected_version=s.version)
    assert "forskel 7.000 kr." in exc.value.errors[0].message
    with pytest.raises(StaleVersion):
        save_accounts(statement=s, actuals=actuals(s), acting_user=lyngby, expected_version=1)
    draft = get_statement("183", 2016)
    with pytest.raises(NotSubmitted):
        save_accounts(statement=draft, actuals={}, acting_user=ishoj, expected_version=None)
    assert snapshot() == before


# --- pages and permissions -------------------------------------------------------------------


def form_data(statement, t2_delta=0, action="save"):
    data = {"version": statement.version, "action": action}
    for pk, amount in actuals(statement, t2_delta).items():
        data[f"actual-{pk}"] = f"{amount:,}".replace(",", ".")
    return data


def test_lyngby_enters_and_lyngby2_approves_through_the_page(client, lyngby, lyngby2):
    client.force_login(lyngby)
    html = client.get(ACCOUNTS).content.decode()
    assert 'aria-label="Regnskab, Tabel 1 – Livskvalitet"' in html
    # An empty form claims no balance: no "summerer til det samme", no mindreforbrug.
    assert (
        '<p class="balance" id="tables-agree" aria-live="polite" data-state="none">'
        "Intet regnskab indtastet endnu.</p>" in html
    )
    assert 'data-state="ok"' not in html and "Mindreforbrug:" not in html
    s = get_statement("173", 2018)
    response = client.post(ACCOUNTS, form_data(s, t2_delta=-5_000, action="save"))
    assert response.status_code == 302
    s = get_statement("173", 2018)
    # Approval by the same user is refused (and no approve button is offered to them).
    html = client.get(ACCOUNTS).content.decode()
    assert 'value="approve"' not in html and "En kollega skal godkende regnskabet" in html
    before = snapshot()
    response = client.post(ACCOUNTS, form_data(s, t2_delta=-5_000, action="approve"))
    assert response.status_code == 400 and "en anden skal godkende det" in response.content.decode()
    assert snapshot() == before
    client.force_login(lyngby2)
    html = client.get(ACCOUNTS).content.decode()
    assert "Tallene blev sidst indtastet af lyngby." in html
    # The rules are checked on the saved figures: Tabel 2 is 5.000 short.
    response = client.post(ACCOUNTS, form_data(s, t2_delta=-5_000, action="approve"))
    assert response.status_code == 400
    assert "forskel 5.000 kr." in response.content.decode()
    assert "Intet er gemt." in response.content.decode() and snapshot() == before
    # Approving with changed figures is refused whole: approval is of the saved figures.
    response = client.post(ACCOUNTS, form_data(s, action="approve"))
    assert response.status_code == 400 and "du har ændret tal" in response.content.decode()
    assert snapshot() == before
    # lyngby2 corrects and saves; then lyngby (no longer the last to enter) approves.
    assert client.post(ACCOUNTS, form_data(s)).status_code == 302
    client.force_login(lyngby)
    s = get_statement("173", 2018)
    response = client.post(ACCOUNTS, form_data(s, action="approve"))
    assert response.status_code == 302
    s = get_statement("173", 2018)
    assert s.accounts_approved and s.accounts_approved_by == lyngby
    assert s.accounts_entered_by == lyngby2
    html = client.get("/statements/173/vaerdighed/2018/").content.decode()
    assert "Mindreforbrug: 45.000 kr." in html
    assert "8.850.000" in html and "-29.000" in html  # Livskvalitet actual and difference
    # Frozen now: a post changes nothing.
    before = snapshot()
    assert client.post(ACCOUNTS, form_data(get_statement("173", 2018))).status_code == 409
    assert snapshot() == before


@pytest.mark.parametrize("who, status", [("ishoj", 404), ("udvalg", 403)])
def test_accounts_permission_matrix(client, lyngby, ishoj, reader, who, status):
    users = {"ishoj": ishoj, "udvalg": reader}
    client.force_login(users[who])
    before = snapshot()
    s = get_statement("173", 2018)
    assert client.get(ACCOUNTS).status_code == status
    assert client.post(ACCOUNTS, form_data(s)).status_code == status
    assert client.post(
        "/statements/173/vaerdighed/2018/accounts/reopen/", {"reason": "x"}
    ).status_code in (
        403,
        404,
    )
    assert snapshot() == before


def test_anonymous_and_csrf(client, lyngby):
    from django.test import Client

    before = snapshot()
    assert client.post(ACCOUNTS, {}).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(lyngby)
    assert strict.post(ACCOUNTS, form_data(get_statement("173", 2018))).status_code == 403
    assert snapshot() == before


def test_stale_accounts_save_gets_the_conflict_page(client, lyngby):
    client.force_login(lyngby)
    s = get_statement("173", 2018)
    mine = form_data(s)
    save_accounts(
        statement=s,
        actuals={next(iter(actuals(s))): 1},
        acting_user=lyngby,
        expected_version=s.version,
    )
    before = snapshot()
    response = client.post(ACCOUNTS, mine)
    assert response.status_code == 409
    assert "Regnskab, Tabel 1 – Livskvalitet" in response.content.decode()
    assert snapshot() == before


def test_accounts_need_a_submitted_statement(client, ishoj):
    client.force_login(ishoj)
    response = client.get("/statements/183/vaerdighed/2016/accounts/")
    assert "Regnskabet kan først føres, når redegørelsen er indsendt." in response.content.decode()


# --- the workbook: a "Regnskab" sheet, exported and imported ---------------------------------


@pytest.mark.libreoffice
def test_regnskab_sheet_round_trip_and_libreoffice(lyngby, tmp_path):
    s = get_statement("173", 2018)
    save_accounts(statement=s, actuals=actuals(s), acting_user=lyngby, expected_version=s.version)
    s = get_statement("173", 2018)
    data = statement_workbook(s, statement_figures(s), accounts_figures(s))
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Redegørelse", "Regnskab"]
    ws = wb["Regnskab"]
    rows = {r[0].value: r for r in ws.iter_rows() if r[0].value}
    assert rows["Livskvalitet"][1].value == 8_879_000 and rows["Livskvalitet"][2].value == 8_850_000
    assert str(rows["Livskvalitet"][3].value).startswith("=IF(")

    # Edit the actuals in the file, import: exactly the edited figures change, as a draft.
    ws.cell(rows["Livskvalitet"][0].row, 3).value = 8_800_000
    ws.cell(rows["Selvbestemmelse"][0].row, 3).value = 565_000
    out = io.BytesIO()
    wb.save(out)
    parsed = parse_statement_workbook(out.getvalue())
    assert parsed.errors == []
    entries = import_statement(
        statement=s,
        parsed=parsed,
        acting_user=lyngby,
        filename="regnskab.xlsx",
        expected_version=s.version,
    )
    assert sorted((e.label, e.before_display, e.after_display) for e in entries) == [
        ("Regnskab, Tabel 1 – Livskvalitet", "8.850.000", "8.800.000"),
        ("Regnskab, Tabel 1 – Selvbestemmelse", "515.000", "565.000"),
    ]
    assert get_statement("173", 2018).accounts_status == "draft"

    # LibreOffice recalculates the sheet's totals and the unspent amount.
    s = get_statement("173", 2018)
    path = tmp_path / "r.xlsx"
    path.write_bytes(statement_workbook(s, statement_figures(s), accounts_figures(s)))
    lines = recalculated_rows(path, tmp_path / "out", sheet=2)
    totals = [r for r in lines if r and r[0] == "I alt"]
    assert [t[2] for t in totals] == ["11235000", "11235000"]
    unspent = next(r for r in lines if r and r[0].startswith("Mindreforbrug"))
    assert unspent[2] == "45000"


@pytest.mark.parametrize(
    "read", [stored_rows, calamine_rows], ids=["openpyxl-data-only", "calamine"]
)
def test_regnskab_formulas_carry_their_results(lyngby, read):
    """A reader that never recalculates sees the totals, differences, shares and the unspent
    amount the accounts page shows."""
    s = get_statement("173", 2018)
    save_accounts(statement=s, actuals=actuals(s), acting_user=lyngby, expected_version=s.version)
    s = get_statement("173", 2018)
    rows = by_label(
        read(statement_workbook(s, statement_figures(s), accounts_figures(s)), "Regnskab")
    )
    assert [t[1:4] for t in rows["I alt"]] == [[11_280_000, 11_235_000, -45_000]] * 2
    assert rows[LABEL_UNSPENT][0][2] == 45_000
    livskvalitet = rows["Livskvalitet"][0]
    assert livskvalitet[3] == 8_850_000 - 8_879_000
    assert livskvalitet[4] == pytest.approx(8_850_000 / 11_235_000)
    mad = rows["Mad og ernæring"][0]
    assert (mad[3], mad[4]) == (0, 0)


def test_regnskab_prints_on_a4_fitted_to_width(lyngby):
    s = get_statement("173", 2018)
    save_accounts(statement=s, actuals=actuals(s), acting_user=lyngby, expected_version=s.version)
    s = get_statement("173", 2018)
    wb = load_workbook(io.BytesIO(statement_workbook(s, statement_figures(s), accounts_figures(s))))
    ws = wb["Regnskab"]
    unspent_row = next(r[0].row for r in ws.iter_rows() if r[0].value == LABEL_UNSPENT)
    assert printed_on_a4_fitted_to_width(ws, f"$A$1:$E${unspent_row}")


def test_an_unknown_actual_leaves_its_difference_and_share_empty(lyngby):
    s = get_statement("173", 2018)
    known = actuals(s)
    livskvalitet = next(line.row_id for line in s.lines.all() if line.row.code == "livskvalitet")
    known[livskvalitet] = None
    save_accounts(statement=s, actuals=known, acting_user=lyngby, expected_version=s.version)
    s = get_statement("173", 2018)
    data = statement_workbook(s, statement_figures(s), accounts_figures(s))
    rows = by_label(stored_rows(data, "Regnskab"))
    assert rows["Livskvalitet"][0][2:5] == [None, None, None]
    # The table's difference is the page's: actual total minus budget total.
    difference = accounts_figures(s).table1.difference
    assert difference == (11_235_000 - 8_850_000) - 11_280_000
    assert rows["I alt"][0][1:4] == [11_280_000, 11_235_000 - 8_850_000, difference]
    assert rows[LABEL_UNSPENT][0][2] == 11_280_000 - (11_235_000 - 8_850_000)
    assert by_label(calamine_rows(data, "Regnskab"))["Livskvalitet"][0][2:5] == ["", "", ""]


def test_import_page_takes_the_regnskab_sheet_for_a_submitted_statement(client, lyngby):
    s = get_statement("173", 2018)
    save_accounts(statement=s, actuals=actuals(s), acting_user=lyngby, expected_version=s.version)
    s = get_statement("173", 2018)
    wb = load_workbook(io.BytesIO(statement_workbook(s, statement_figures(s), accounts_figures(s))))
    ws = wb["Regnskab"]
    row = next(r for r in ws.iter_rows() if r[0].value == "Livskvalitet")
    ws.cell(row[0].row, 3).value = 8_000_000
    # A change to the submitted form in the same file is refused, naming it.
    form_ws = wb["Redegørelse"]
    form_row = next(r for r in form_ws.iter_rows() if r[0].value == "Livskvalitet")
    out = io.BytesIO()
    wb.save(out)
    client.force_login(lyngby)
    response = client.post(
        "/statements/173/vaerdighed/2018/import/",
        {"file": SimpleUploadedFile("r.xlsx", out.getvalue())},
    )
    assert response.status_code == 200 and "8.000.000" in response.content.decode()
    form_ws.cell(form_row[0].row, 2).value = 1
    out = io.BytesIO()
    wb.save(out)
    before = snapshot()
    response = client.post(
        "/statements/173/vaerdighed/2018/import/",
        {"file": SimpleUploadedFile("r.xlsx", out.getvalue())},
    )
    assert response.status_code == 400
    assert "arket &#x27;Redegørelse&#x27; må ikke ændres" in response.content.decode()
    assert snapshot() == before


def test_overview_shows_national_budget_against_actual_over_approved_accounts(
    client, lyngby, lyngby2, reader
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(reader)
    html = client.get("/?year=2018").content.decode()
    assert "Ingen kommune har et godkendt regnskab for 2018 endnu." in html
    s = get_statement("173", 2018)
    save_accounts(statement=s, actuals=actuals(s), acting_user=lyngby, expected_version=s.version)
    assert "Ingen kommune har et godkendt regnskab" in client.get("/?year=2018").content.decode()
    approve_accounts(statement=s, acting_user=lyngby2)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/?year=2018").content.decode()
    assert "Summen af 1 kommunes godkendte regnskab." in html
    assert "Mindreforbrug: 45.000 kr." in html
    assert "8.850.000" in html and "10.220.000" in html
    # The national figures are the same computation as the statement's own accounts.
    from committee.reports import national_accounts

    national = national_accounts(s.grant.grant_year).figures
    own = accounts_figures(get_statement("173", 2018))
    assert national.unspent == own.unspent == 45_000
    assert [r.actual for r in national.table2.rows] == [r.actual for r in own.table2.rows]
    assert len(queries) < 25
