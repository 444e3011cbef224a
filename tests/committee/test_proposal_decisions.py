"""Proposals have a decision history (issue 11, item 4): a status from the latest decision, the
decisions and consultation answers on a proposal's page, the status filter, the listed
proposals' totals on the page and in both downloads, and the status in an initiative's money
trail. Seed 001: Social- og Sundhedsudvalget's decision of 11 June 2019 and Seniorrådet's
minutes of 3 June 2019."""

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from budgets.models import BudgetProposal, Decision, DecisionOutcome, ProposalStatus
from grants.cache import data_version
from grants.models import Initiative, Municipality
from tests.committee.helpers import read_table, table_rows

# Seed 001, the overview table: "Effektiviseringsforslag i alt … (2020 priser) -12.181 -14.922
# -18.580 -20.452" (1.000 kr.), which the 18 proposals' amounts add up to.
SEED_001_TOTALS = ["-12.181.000", "-14.922.000", "-18.580.000", "-20.452.000"]
EXEMPTED = {"82BR_SSU", "86BR_SSU"}
NAMED_BY_SENIORRAADET = {"80BR_SSU", "91BR_SSU", "82BR_SSU", "87BR_SSU", "88BR_SSU", "83BR_SSU"}


def get(client, reader, url: str) -> str:
    client.force_login(reader)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def listed(html: str) -> dict[str, list[str]]:
    return {r[0]: r for r in table_rows(html, "proposals-table") if len(r) > 1}


def totals_row(html: str) -> list[str]:
    [row] = read_table(html, "proposals-table").rows["tfoot"]
    return row


def proposal_page(client, reader, code: str) -> str:
    return get(client, reader, f"/proposals/{BudgetProposal.objects.get(code=code).pk}/")


def record(body: str, date: datetime.date | None, outcomes: dict[str, str]) -> Decision:
    """A made-up decision (test data, not a fact: the seed records none after 11 June 2019)."""
    decision = Decision.objects.create(
        municipality=Municipality.objects.get(code="173"),
        body=body,
        date=date,
        summary="Prøve.",
    )
    for code, status in outcomes.items():
        DecisionOutcome.objects.create(
            decision=decision, proposal=BudgetProposal.objects.get(code=code), status=status
        )
    return decision


# --- The list: statuses, the filter, the totals, the price level --------------------------------


def test_seed_001_gives_every_proposal_its_status(client, reader):
    html = get(client, reader, "/proposals/")
    header = read_table(html, "proposals-table").rows["thead"][0]
    status = header.index("Status ↕")
    statuses = {code: row[status] for code, row in listed(html).items()}
    assert len(statuses) == 18
    assert statuses["80BR_SSU"] == "Sendt i høring"
    assert {c for c, s in statuses.items() if s == "Undtaget fra høring"} == EXEMPTED
    assert {c for c, s in statuses.items() if s == "Sendt i høring"} == set(statuses) - EXEMPTED


def test_the_totals_are_seed_001s_and_the_price_level_is_shown(client, reader):
    html = get(client, reader, "/proposals/")
    assert totals_row(html)[0] == "I alt"
    assert totals_row(html)[-4:] == SEED_001_TOTALS
    # The same as the rows above it, added up.
    rows = listed(html).values()
    for i, total in enumerate(SEED_001_TOTALS, start=-4):
        assert sum(int(r[i].replace(".", "")) for r in rows) == int(total.replace(".", ""))
    assert "Beløbene er i 2020-priser." in html
    assert "2020-priser" in read_table(html, "proposals-table").caption_text


def test_the_totals_count_every_page_not_only_the_one_shown(client, reader):
    html = get(client, reader, "/proposals/?per_page=5&page=2")
    assert len(listed(html)) == 5
    assert totals_row(html)[-4:] == SEED_001_TOTALS


@pytest.mark.parametrize(
    "query, codes, totals",
    [
        ("?status=undtaget_fra_hoering", EXEMPTED, ["-321.000"] * 4),
        (
            "?status=undtaget_fra_hoering&year=2021&type=budgetreduktion",
            EXEMPTED,
            ["-321.000"] * 4,
        ),
        ("?status=sendt_i_hoering&q=klippekort", {"87BR_SSU", "88BR_SSU"}, ["-2.760.000"] * 4),
    ],
)
def test_the_status_filter_and_the_totals_follow_it(client, reader, query, codes, totals):
    html = get(client, reader, f"/proposals/{query}")
    assert set(listed(html)) == codes
    assert totals_row(html)[-4:] == totals


def test_a_status_no_proposal_has_lists_nothing_and_no_totals(client, reader):
    html = get(client, reader, "/proposals/?status=vedtaget")
    assert listed(html) == {}
    assert "Ingen budgetforslag matcher filtrene." in html
    assert read_table(html, "proposals-table").rows["tfoot"] == []


def test_an_invalid_status_is_named_not_a_500(client, reader):
    html = get(client, reader, "/proposals/?status=nonsense")
    assert 'class="field-error"' in html and "nonsense" in html
    assert listed(html) == {}  # matches nothing, rather than everything
    for fmt in ("xlsx", "csv"):
        response = client.get(f"/proposals/export.{fmt}?status=nonsense")
        assert response.status_code == 400
        text = response.content.decode()
        assert text.startswith("Filtrene kan ikke bruges, så intet er hentet. Status:")


# --- The downloads ------------------------------------------------------------------------------


def download(client, reader, fmt: str, query: str = ""):
    client.force_login(reader)
    response = client.get(f"/proposals/export.{fmt}{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="budgetforslag.{fmt}"'
    assert response["Cache-Control"] == "private, no-cache" and response["ETag"]
    return response


def test_the_xlsx_read_back_from_disk(client, reader, tmp_path):
    path = tmp_path / "budgetforslag.xlsx"
    path.write_bytes(download(client, reader, "xlsx", "?sort=code").content)
    sheet = load_workbook(path).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[:10] == [
        "Nr.",
        "Kommune",
        "Kommunekode",
        "Titel",
        "Type",
        "Udvalg",
        "Aktivitetsområde",
        "Center",
        "Status",
        "Prisniveau",
    ]
    assert header[10:] == ["2020 (kr.)", "2021 (kr.)", "2022 (kr.)", "2023 (kr.)", "Link"]
    assert [r[0] for r in body] == sorted(r[0] for r in body) and len(body) == 18
    evening = body[0]
    assert evening[:3] == ["80BR_SSU", "Lyngby-Taarbæk", "173"]
    assert evening[8:10] == ["Sendt i høring", "2020-priser"]
    assert evening[10:14] == [-3_596_000, -4_795_000, -4_795_000, -4_795_000]
    assert evening[-1].endswith(f"/proposals/{BudgetProposal.objects.get(code='80BR_SSU').pk}/")
    # Whole kroner as numbers, the totals the page shows, in bold under a line.
    assert total[0] == "I alt" and total[10:14] == [
        -12_181_000,
        -14_922_000,
        -18_580_000,
        -20_452_000,
    ]
    assert all(isinstance(v, int) for r in body for v in r[10:14])
    last = sheet.max_row
    assert sheet.cell(last, 1).font.b and sheet.cell(last, 11).number_format == "#,##0"
    assert sheet.cell(last, 11).border.top.style == "thin"
    assert sheet.freeze_panes == "A2"


def test_the_csv_parsed_follows_the_filter(client, reader):
    text = download(client, reader, "csv", "?status=undtaget_fra_hoering").content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert {r[0] for r in body} == EXEMPTED
    assert {r[header.index("Status")] for r in body} == {"Undtaget fra høring"}
    assert total[0] == "I alt" and total[10:14] == ["-321.000"] * 4
    page = get(client, reader, "/proposals/?status=undtaget_fra_hoering")
    assert total[10:14] == totals_row(page)[-4:]  # one function, one total


def test_the_page_links_the_downloads_with_its_filters(client, reader):
    html = get(client, reader, "/proposals/?status=sendt_i_hoering&page=2")
    assert 'href="/proposals/export.xlsx?status=sendt_i_hoering"' in html
    assert 'href="/proposals/export.csv?status=sendt_i_hoering"' in html


# --- A proposal's page --------------------------------------------------------------------------


def test_a_proposal_shows_its_status_decision_and_who_decides(client, reader):
    html = proposal_page(client, reader, "82BR_SSU")
    assert "Undtaget fra høring" in html
    assert "11. juni 2019 · Social- og Sundhedsudvalget" in html
    assert "Vores sammenfatning:" in html
    assert "fordi de følger af lovgivning" in html
    assert "Beslutningskompetence:" in html
    assert "Økonomiudvalget" in html and "Kommunalbestyrelsen" in html
    assert "punkt 3" in html and "2020-priser" in html


def test_seniorraadets_answer_is_on_the_proposals_it_names_and_only_there(client, reader):
    for code in BudgetProposal.objects.values_list("code", flat=True):
        html = proposal_page(client, reader, code)
        named = "Seniorrådet, 3. juni 2019" in html
        assert named == (code in NAMED_BY_SENIORRAADET), code
        if named:
            assert "Udtalelse uden for høringen" in html and "Vores sammenfatning:" in html
    html = proposal_page(client, reader, "84BR_SSU")
    assert "Der er ikke registreret høringssvar eller udtalelser om forslaget." in html


def test_the_latest_decision_sets_the_status_and_an_unknown_date_stays_unknown(client, reader):
    undated = record("Kommunalbestyrelsen", None, {"80BR_SSU": ProposalStatus.WITHDRAWN})
    html = proposal_page(client, reader, "80BR_SSU")
    assert f'id="decision-{undated.pk}"' in html
    assert '<span class="unknown">ukendt</span> · Kommunalbestyrelsen' in html
    # An undated decision never overrules a dated one: we cannot tell it came later.
    assert BudgetProposal.objects.with_status().get(code="80BR_SSU").status == "sendt_i_hoering"
    record("Kommunalbestyrelsen", datetime.date(2030, 1, 15), {"80BR_SSU": ProposalStatus.ADOPTED})
    html = proposal_page(client, reader, "80BR_SSU")
    assert "seneste beslutning: Kommunalbestyrelsen, 15. januar 2030" in html
    status = html.index('id="proposal-status"')
    assert html.index("Vedtaget", status) < html.index("Kommune", status)
    # Latest first.
    assert (
        html.index("15. januar 2030 ·")
        < html.index("11. juni 2019 ·")
        < html.index("ukendt</span> ·")
    )


# --- The money trail ----------------------------------------------------------------------------


def test_the_money_trail_shows_each_proposals_status(client, reader):
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    html = get(client, reader, f"/initiatives/{evening.pk}/")
    trail = table_rows(html, "trail-table")
    assert [r[4] for r in trail[1:]] == ["80BR_SSU (Sendt i høring)"] * 4
    record("Kommunalbestyrelsen", datetime.date(2030, 1, 15), {"80BR_SSU": ProposalStatus.REJECTED})
    html = get(client, reader, f"/initiatives/{evening.pk}/")
    assert [r[4] for r in table_rows(html, "trail-table")[1:]] == ["80BR_SSU (Forkastet)"] * 4


# --- The cache ----------------------------------------------------------------------------------


def test_a_changed_decision_is_shown_at_once(client, reader):
    """Committee pages are cached per data version; the database advances it on every write to
    the decision tables, so a decision changed by any path is on the next page."""
    html = get(client, reader, "/proposals/?status=undtaget_fra_hoering")
    assert set(listed(html)) == EXEMPTED
    before = data_version()
    DecisionOutcome.objects.filter(proposal__code="82BR_SSU").update(
        status=ProposalStatus.CONSULTATION
    )
    assert data_version() > before
    html = get(client, reader, "/proposals/?status=undtaget_fra_hoering")
    assert set(listed(html)) == {"86BR_SSU"}
    assert totals_row(html)[-4:] == ["-200.000"] * 4

    before = data_version()
    Decision.objects.update(summary="Rettet sammenfatning.")
    assert data_version() > before
    assert "Rettet sammenfatning." in proposal_page(client, reader, "86BR_SSU")
    Decision.objects.all().delete()  # the outcomes go with it: every proposal is "Forslag" again
    html = get(client, reader, "/proposals/?status=forslag")
    assert len(listed(html)) == 18
