"""A committee member in Chromium: filters the initiatives, opens one and reads its money trail,
downloads the filtered table, and reads the overview, a municipality, the comparison and the
budget proposals. axe-core finds no serious or critical violation on any of these pages."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.axe import describe, serious_violations
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


ISHOJ_2016 = {
    "Udvidelse af klippekortsordningen til hjemmehjælpsmodtagere",
    "Udvidelse af det eksisterende aktivitetscenter for borgere med anden etnisk baggrund",
    "Ældres netværk – etablering af sorggrupper mv.",
    "Afprøvning og ibrugtagning af nye velfærdsteknologiske løsninger",
    "Kompetenceudvikling mv. og nye initiativer som følge af værdighedspolitikken og "
    "plejehjemsanalysen",
}


def assert_accessible(page, what: str) -> None:
    violations = serious_violations(page)
    assert not violations, (
        f"axe-core: {len(violations)} serious/critical violation(s) on {what} ({page.url}):\n"
        + describe(violations)
    )


def row_headers(table) -> list[str]:
    return [t.strip() for t in table.locator("tbody th[scope=row]").all_inner_texts()]


def test_committee_member_filters_opens_an_initiative_and_downloads_the_table(
    page, live_server, reader, screenshot, tmp_path
):
    login(page, live_server, "udvalg", "pw-udvalg")
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Indsatser").click()
    expect(page.get_by_role("heading", name="Indsatser", level=1)).to_be_visible()

    page.get_by_label("Kommune").select_option("183")
    page.get_by_label("År med beløb").select_option("2016")
    page.get_by_role("button", name="Filtrér").click()
    page.wait_for_url("**/initiatives/?*municipality=183*")
    assert "year=2016" in page.url
    table = page.locator("#initiatives-table")
    expect(table.locator("tbody tr")).to_have_count(5)
    assert set(row_headers(table)) == ISHOJ_2016
    expect(page.get_by_role("status").first).to_have_text("5 indsatser matcher.")
    screenshot(page, "committee-initiatives-filtered")
    assert_accessible(page, "the filtered initiatives")

    # Sort by title with the keyboard; the filters stay.
    table.locator("thead").get_by_role("link", name="Indsats", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=title*")
    assert "municipality=183" in page.url and "year=2016" in page.url
    titles = row_headers(page.locator("#initiatives-table"))
    assert titles == sorted(ISHOJ_2016)

    # Download the filtered table: every row the page shows, in the same order.
    with page.expect_download() as info:
        page.get_by_role("link", name="Regneark (xlsx)").click()
    download = info.value
    assert download.suggested_filename == "indsatser.xlsx"
    path = tmp_path / "indsatser.xlsx"
    download.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0] == "Indsats"
    assert [r[0] for r in rows[1:]] == titles
    assert {r[1] for r in rows[1:]} == {"Ishøj"}

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    text = info.value.path().read_text("utf-8")
    body = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))[1:]
    assert [r[0] for r in body] == titles

    # Open an initiative from the filtered list.
    page.get_by_role(
        "link", name="Udvidelse af klippekortsordningen til hjemmehjælpsmodtagere"
    ).click()
    expect(
        page.get_by_role(
            "heading", name="Udvidelse af klippekortsordningen til hjemmehjælpsmodtagere", level=1
        )
    ).to_be_visible()
    amounts = page.get_by_role("table", name="Kendte beløb til indsatsen, som kilden angiver dem")
    expect(amounts.get_by_role("row", name="2017 og fremover")).to_contain_text("670.000")
    screenshot(page, "committee-initiative-klippekort")
    assert_accessible(page, "an initiative's page")


def test_the_money_trail_of_the_evening_shift(page, live_server, reader, screenshot):
    login(page, live_server, "udvalg", "pw-udvalg")
    page.goto(f"{live_server.url}/initiatives/?q=aftenvagt")
    page.get_by_role("link", name="Løft af aftenvagten").click()
    chart = page.get_by_role("img", name="Pengesporet for Løft af aftenvagten")
    expect(chart).to_be_visible()
    trail = page.get_by_role("table", name="Pengesporet år for år (kr.)")
    expect(trail.get_by_role("row", name=re.compile("^2019"))).to_contain_text("4.795.000")
    row_2020 = trail.get_by_role("row", name=re.compile("^2020"))
    expect(row_2020).to_contain_text("-3.596.000")
    expect(row_2020).to_contain_text("Bloktilskud (ikke øremærket)")
    expect(row_2020).to_contain_text("80BR_SSU (Sendt i høring)")
    proposal = page.get_by_role("table", name="80BR_SSU: beløb og årsværk pr. år")
    for year in ("2021", "2022", "2023"):
        expect(proposal.get_by_role("row", name=year)).to_contain_text("-4.795.000")
    screenshot(page, "committee-money-trail-aftenvagt")
    assert_accessible(page, "the money trail page")
    page.get_by_role("link", name="80BR_SSU Nedlæggelse af de små aftenvagter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("80BR_SSU")
    expect(
        page.get_by_role("heading", name="11. juni 2019 · Social- og Sundhedsudvalget")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Seniorrådet, 3. juni 2019")).to_be_visible()
    screenshot(page, "committee-proposal-80br")
    assert_accessible(page, "a proposal's page")


@pytest.mark.parametrize(
    "path, heading, name",
    [
        ("/", "Overblik", "committee-overview"),
        ("/municipalities/173/", "Lyngby-Taarbæk Kommune", "committee-municipality-173"),
        ("/municipalities/183/", "Ishøj Kommune", "committee-municipality-183"),
        (
            "/years/vaerdighed/2018/compare/",
            "Kommunerne sammenlignet, 2018",
            "committee-compare-2018",
        ),
        ("/proposals/?type=budgetreduktion", "Budgetforslag", "committee-proposals"),
        (
            "/proposals/?status=undtaget_fra_hoering",
            "Budgetforslag",
            "committee-proposals-exempted",
        ),
        ("/initiatives/", "Indsatser", "committee-initiatives"),
    ],
)
def test_committee_pages_are_accessible(page, live_server, reader, screenshot, path, heading, name):
    login(page, live_server, "udvalg", "pw-udvalg")
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    for chart in page.locator("svg.chart").all():
        # Every chart is an image with a name and a description.
        assert chart.get_attribute("role") == "img"
        assert chart.locator("title").count() >= 1 and chart.locator("desc").count() == 1
    screenshot(page, name)
    assert_accessible(page, path)


def test_overview_national_totals_and_the_route_to_the_comparison(page, live_server, reader):
    login(page, live_server, "udvalg", "pw-udvalg")
    table1 = page.get_by_role("table", name="Tabel 1, alle indsendte: kr. og andel pr. række")
    expect(table1.get_by_role("row", name="Livskvalitet")).to_contain_text("8.879.000")
    expect(
        page.get_by_role("img", name="Tabel 1. Budget for 2018 fordelt på områder – alle indsendte")
    ).to_be_visible()
    page.get_by_role("link", name="Sammenlign kommunernes fordeling i 2018").click()
    compare = page.get_by_role("table", name="Andel pr. område af tabel 1 i 2018")
    expect(compare.get_by_role("row", name="Lyngby-Taarbæk")).to_contain_text("78,7 %")
    # Sort by a share with the keyboard: the header says how the table is sorted.
    page.get_by_role("link", name="Livskvalitet").focus()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused link shows where the focus is"
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=-livskvalitet*")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Livskvalitet")


COMMITTEE_PAGES = [
    "/",
    "/initiatives/?municipality=183&sort=-title",
    "/municipalities/173/",
    "/years/vaerdighed/2018/compare/",
    "/proposals/",
]


def test_pages_keep_the_content_security_policy(browser, live_server, reader):
    """No inline script or style in these pages or their charts: nothing the policy refuses."""
    context = browser.new_context(bypass_csp=False, locale="da-DK")
    page = context.new_page()
    refused = []
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    login(page, live_server, "udvalg", "pw-udvalg")
    from grants.models import Initiative

    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    for path in [*COMMITTEE_PAGES, f"/initiatives/{evening.pk}/"]:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    context.close()
    assert refused == []
