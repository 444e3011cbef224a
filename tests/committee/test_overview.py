"""/ (overview): status per grant year, and national totals per focus area and expense category
over SUBMITTED statements, as figures and charts from the same numbers."""

import pytest

from committee.reports import national_breakdown, status_counts
from grants.models import GrantYear, Municipality
from grants.rules import statement_figures
from tests.committee.helpers import read_table, svg, table_rows
from tests.conftest import get_statement
from tests.factories import make_statement


def overview(client, reader, query: str = "") -> str:
    client.force_login(reader)
    response = client.get(f"/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_status_per_year_counts_all_98_municipalities(client, reader, ishoj_reader):
    rows = table_rows(overview(client, reader), "status-table")
    # Each year links to its comparison ("2016 – sammenlign kommunerne" for a screen reader).
    assert [r[0].split()[0] for r in rows] == ["2016", "2017", "2018", "2019"]
    by_year = {r[0].split()[0]: r[2:6] for r in rows}
    # A national reader sees no municipality's drafts: Ishøj's counts as not submitted.
    assert by_year["2016"] == ["0", "0", "98", "98"]
    assert by_year["2018"] == ["1", "0", "97", "98"]  # Lyngby-Taarbæk submitted
    assert {r[0].split()[0]: r[6] for r in rows}["2018"] == "ikke fastsat"  # no deadline known
    # Ishøj's own committee member sees its drafts (seed 002: "i 2016 og årene fremover").
    by_year = {
        r[0].split()[0]: r[2:6] for r in table_rows(overview(client, ishoj_reader), "status-table")
    }
    assert by_year["2016"] == ["0", "1", "97", "98"]
    assert by_year["2018"] == ["1", "1", "96", "98"]
    assert Municipality.objects.count() == 98


def test_each_programme_has_its_own_years(client, reader):
    html = overview(client, reader, "?programme=aeldre")
    assert "<h1>Overblik: Ældremilliarden</h1>" in html
    rows = table_rows(html, "status-table")
    assert [r[0] for r in rows] == ["2014", "2015"]
    # No form on record for those years: said so, with the grants registered.
    assert rows[1][2].startswith("Skemaet er ikke i kilderne; 1 kommunes tilskud er registreret")
    assert "Fra 2016 er midlerne en del af bloktilskuddet" in html
    client.force_login(reader)
    assert client.get("/?programme=ukendt").status_code == 404


def test_status_counts_follow_the_statements(seed):
    make_statement("101", 2017, {"livskvalitet": 10})
    make_statement("147", 2017, {"livskvalitet": 10}, submitted=False)
    programme = GrantYear.objects.get(programme__slug="vaerdighed", year=2017).programme
    counts = {s.grant_year.year: s for s in status_counts(programme, all_drafts=True)}
    # With Ishøj's registered 2017 grant and the ministry table's nine (drafts): 1 submitted,
    # 11 drafts.
    assert (counts[2017].submitted, counts[2017].drafts, counts[2017].not_submitted) == (1, 11, 86)
    national = {s.grant_year.year: s for s in status_counts(programme)}
    assert (national[2017].submitted, national[2017].drafts) == (1, 0)
    frederiksberg = Municipality.objects.get(code="147").pk
    of_147 = {s.grant_year.year: s for s in status_counts(programme, drafts_of=frederiksberg)}
    assert of_147[2017].drafts == 1  # its own; the others' drafts count as not submitted


@pytest.mark.parametrize("table", [1, 2])
def test_national_totals_2018_equal_lyngbys_statement(seed, table):
    """Lyngby-Taarbæk's is the only submitted 2018 statement in the seed."""
    figures = statement_figures(get_statement("173", 2018))
    expected = [(f.row.label, f.amount) for f in figures.tables[table - 1].rows]
    breakdown = national_breakdown(
        GrantYear.objects.get(programme__slug="vaerdighed", year=2018), table
    )
    assert [(line.label, line.amount) for line in breakdown.lines] == expected
    assert breakdown.total == figures.tables[table - 1].total == 11_280_000
    assert breakdown.statements == 1


def test_overview_page_shows_the_national_totals_of_2018(client, reader):
    html = overview(client, reader, "?year=2018")
    table1 = read_table(html, "table1-figures")
    assert ["Livskvalitet", "8.879.000", "78,7 %"] in table1.rows["tbody"]
    assert table1.rows["tfoot"] == [["Udmøntning i alt", "11.280.000", "100,0 %"]]
    table2 = table_rows(html, "table2-figures")
    assert [
        "Lønudgifter (mere personale mhp. flere varme hænder)",
        "10.245.000",
        "90,8 %",
    ] in table2
    assert "Summen af 1 indsendt redegørelse." in html


def test_2018_is_shown_by_default_as_the_latest_year_with_a_submitted_statement(client, reader):
    assert read_table(overview(client, reader), "table1-figures")


@pytest.mark.parametrize("table", [1, 2])
def test_each_chart_has_the_numbers_of_the_table_beside_it(client, reader, table):
    html = overview(client, reader, "?year=2018")
    chart = svg(html, f"chart-table{table}")
    assert 'role="img"' in chart and "<title id=" in chart and "<desc id=" in chart
    rows = table_rows(html, f"table{table}-figures")
    assert rows
    for label, amount, share in rows:
        assert f">{label}</text>" in chart
        assert f">{amount} kr. ({share})</text>" in chart


def test_drafts_do_not_count_and_submitted_statements_add_up(client, reader):
    make_statement("167", 2018, {"livskvalitet": 1_000_000, "mad": 500_000})
    make_statement("101", 2018, {"livskvalitet": 7_000_000}, submitted=False)
    rows = {
        r[0]: r[1] for r in table_rows(overview(client, reader, "?year=2018"), "table1-figures")
    }
    assert rows["Livskvalitet"] == "9.879.000"
    assert rows["Mad og ernæring"] == "500.000"
    assert rows["Selvbestemmelse"] == "520.000"


def test_a_year_without_submitted_statements_says_so(client, reader):
    html = overview(client, reader, "?year=2016")
    assert "Ingen kommune har indsendt en redegørelse for 2016 endnu." in html
    assert 'id="table1-figures"' not in html


def test_the_status_chart_names_its_series(client, reader):
    chart = svg(overview(client, reader), "chart-status")
    for name in ("Indsendt", "Kladde", "Ikke indsendt"):
        assert f">{name}</text>" in chart


def test_the_statements_of_the_chosen_year_link_to_their_pages(client, reader, ishoj_reader):
    rows = table_rows(overview(client, ishoj_reader, "?year=2016"), "statements-table")
    assert [r[:4] for r in rows] == [["Ishøj", "2016", "2.844.000", "Kladde"]]
    # Another municipality's draft is not listed for a national reader.
    assert table_rows(overview(client, reader, "?year=2016"), "statements-table") == [
        ["Ingen redegørelser endnu."]
    ]
    html = overview(client, reader, "?year=2018")
    assert [r[0] for r in table_rows(html, "statements-table")] == ["Lyngby-Taarbæk"]
    assert (
        'href="/statements/173/vaerdighed/2018/"' in html and 'href="/municipalities/173/"' in html
    )
