"""/years/<year>/compare/: each municipality's share per focus area, adding up to 100,0 % as
shown, sortable, with the country's split from the same sums."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grants.rules import SHARE_UNITS, largest_remainder
from tests.committee.helpers import percent_units, read_table, svg
from tests.factories import make_statement


@pytest.fixture
def thirds(seed):
    """Three equal thirds: rounded one by one they would show 33,3 % × 3 = 99,9 %."""
    make_statement(
        "167", 2018, {"livskvalitet": 1_000_000, "selvbestemmelse": 1_000_000, "mad": 1_000_000}
    )
    make_statement("163", 2018, {"livskvalitet": 2, "kvalitet": 1})


def compare(client, reader, query: str = "") -> str:
    client.force_login(reader)
    response = client.get(f"/years/vaerdighed/2018/compare/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_shares_add_up_to_100_percent_as_shown(client, reader, thirds):
    table = read_table(compare(client, reader), "compare-table")
    header = table.rows["thead"][0]
    share_columns = range(1, header.index(next(h for h in header if h.startswith("Udmøntning"))))
    assert len(table.rows["tbody"]) == 4  # the country and three municipalities
    for row in table.rows["tbody"]:
        shown = [percent_units(row[i]) for i in share_columns]
        assert sum(shown) == 1000, row
        assert row[-1] == "100,0 %"
    ishoj = next(r for r in table.rows["tbody"] if r[0] == "Hvidovre")
    assert sorted(ishoj[i] for i in share_columns if ishoj[i] != "0,0 %") == [
        "33,3 %",
        "33,3 %",
        "33,4 %",
    ]


def test_lyngby_compared_with_the_country(client, reader, thirds):
    rows = {r[0]: r for r in read_table(compare(client, reader), "compare-table").rows["tbody"]}
    assert rows["Lyngby-Taarbæk"][1:3] == ["78,7 %", "4,6 %"]
    assert rows["Alle indsendte"][-2] == "14.280.003"  # 11.280.000 + 3.000.000 + 3


@given(st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=12))
def test_largest_remainder_always_adds_up_and_stays_within_a_tenth(amounts):
    shares = largest_remainder(amounts)
    if sum(amounts) == 0:
        assert shares is None
        return
    assert sum(shares) == SHARE_UNITS
    for amount, share in zip(amounts, shares, strict=True):
        exact = amount * SHARE_UNITS / sum(amounts)
        assert abs(share - exact) < 1


def names(html: str) -> list[str]:
    return [r[0] for r in read_table(html, "compare-table").rows["tbody"]][1:]


def test_sorting_by_a_share_column_and_by_name(client, reader, thirds):
    assert names(compare(client, reader)) == ["Herlev", "Hvidovre", "Lyngby-Taarbæk"]
    assert names(compare(client, reader, "?sort=-name")) == [
        "Lyngby-Taarbæk",
        "Hvidovre",
        "Herlev",
    ]
    # Livskvalitet: Lyngby 78,7 %, Herlev 66,7 %, Hvidovre 33,4 %.
    assert names(compare(client, reader, "?sort=-livskvalitet")) == [
        "Lyngby-Taarbæk",
        "Herlev",
        "Hvidovre",
    ]
    assert names(compare(client, reader, "?sort=livskvalitet")) == [
        "Hvidovre",
        "Herlev",
        "Lyngby-Taarbæk",
    ]
    assert names(compare(client, reader, "?sort=-total"))[0] == "Lyngby-Taarbæk"
    assert names(compare(client, reader, "?sort=nonsense")) == names(compare(client, reader))


def test_the_sorted_column_is_marked_and_links_toggle(client, reader, thirds):
    html = compare(client, reader, "?sort=-livskvalitet")
    assert html.count('aria-sort="descending"') == 1
    assert "?sort=livskvalitet" in html  # clicking again sorts ascending
    assert "?sort=-selvbestemmelse" in html  # other shares: largest first


def test_the_chart_shows_each_municipality_with_the_tables_shares(client, reader, thirds):
    html = compare(client, reader)
    chart = svg(html, "chart-compare")
    for name in ("Alle indsendte", "Hvidovre", "Herlev", "Lyngby-Taarbæk"):
        assert f">{name}</text>" in chart
    assert "Hvidovre, Livskvalitet: 33,4 %" in chart
    assert "Lyngby-Taarbæk, Livskvalitet: 78,7 %" in chart
    assert ">78,7 %</text>" in chart  # written on the wide segment


def test_a_year_with_no_submitted_statement(client, reader):
    client.force_login(reader)
    html = client.get("/years/vaerdighed/2017/compare/").content.decode()
    assert "Ingen kommune har indsendt en redegørelse for 2017 endnu." in html
    assert client.get("/years/vaerdighed/1999/compare/").status_code == 404
