"""/proposals/: filterable by municipality, committee, activity area, type and year."""

import pytest

from budgets.models import BudgetProposal, ProposalAmount
from tests.committee.helpers import read_table, table_rows


def codes(client, reader, query: str = "") -> list[str]:
    client.force_login(reader)
    response = client.get(f"/proposals/{query}")
    assert response.status_code == 200
    return [r[0] for r in table_rows(response.content.decode(), "proposals-table") if len(r) > 1]


def test_all_of_lyngbys_proposals_with_amounts_per_year(client, reader):
    client.force_login(reader)
    html = client.get("/proposals/").content.decode()
    table = read_table(html, "proposals-table")
    assert table.rows["thead"][0][-4:] == ["2020", "2021", "2022", "2023"]
    rows = {r[0]: r for r in table.rows["tbody"]}
    assert len(rows) == 18
    assert rows["80BR_SSU"][-4:] == ["-3.596.000", "-4.795.000", "-4.795.000", "-4.795.000"]
    assert rows["80BR_SSU"][4] == "SSU: Sundhed og Omsorg"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?type=effektivisering", 9),
        ("?type=budgetreduktion", 9),
        ("?activity_area=Handicappede+og+soc.+Indsatser", 9),
        ("?activity_area=Sundhed+og+Omsorg&type=budgetreduktion", 6),
        ("?committee=SSU", 18),
        ("?municipality=173", 18),
        ("?municipality=183", 0),
        ("?q=klippekort", 2),
    ],
)
def test_filters(client, reader, query, expected):
    assert len(codes(client, reader, query)) == expected


def test_year_filter_keeps_proposals_with_an_amount_that_year(client, reader):
    proposal = BudgetProposal.objects.get(code="82BR_SSU")
    ProposalAmount.objects.filter(proposal=proposal, year=2023).delete()
    assert "82BR_SSU" in codes(client, reader, "?year=2022")
    assert "82BR_SSU" not in codes(client, reader, "?year=2023")
    assert len(codes(client, reader, "?year=2023")) == 17


def test_committee_filter_separates_committees(client, reader):
    BudgetProposal.objects.filter(code="99BR_SSU").update(
        committee="ØU", committee_name="Økonomiudvalget"
    )
    assert codes(client, reader, "?committee=%C3%98U") == ["99BR_SSU"]
    client.force_login(reader)
    assert "Økonomiudvalget (ØU)" in client.get("/proposals/").content.decode()


def test_sorting_keeps_filters(client, reader):
    client.force_login(reader)
    html = client.get("/proposals/?type=effektivisering&sort=-code").content.decode()
    shown = [r[0] for r in table_rows(html, "proposals-table")]
    assert shown == sorted(shown, reverse=True) and shown[0] == "99BR_SSU"
    links = [h for h in read_table(html, "proposals-table").links if "sort=" in h]
    assert links and all("type=effektivisering" in h for h in links)


def test_a_proposals_page_links_its_initiatives_and_municipality(client, reader):
    client.force_login(reader)
    proposal = BudgetProposal.objects.get(code="80BR_SSU")
    html = client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert "Løft af aftenvagten" in html and 'href="/municipalities/173/"' in html
    assert ["2020", "-3.596.000", "8,3"] in table_rows(html, "proposal-amounts")
