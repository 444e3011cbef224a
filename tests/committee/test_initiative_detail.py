"""/initiatives/<id>/: the money trail of an initiative, on one page, as table and chart."""

from budgets.models import BudgetProposal
from committee.reports import money_trail
from grants.models import Initiative, InitiativeAmount
from tests.committee.helpers import read_table, svg, table_rows


def detail(client, reader, key: str) -> str:
    client.force_login(reader)
    response = client.get(f"/initiatives/{Initiative.objects.get(key=key).pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_evening_shift_shows_2019_funding_and_proposal_80br(client, reader):
    html = detail(client, reader, "lyngby-loeft-af-aftenvagt")
    # budget, actual spending (unknown here: not 0), difference, funding, and the document
    # the amount comes from: the 2019 figure is seed 001's (the budget proposals), not 000's.
    seed_001 = "Social- og Sundhedsudvalget, referat 11. juni 2019: Budget 2020-23, "
    [row] = table_rows(html, "amounts-table")
    assert row[:5] == ["2019", "4.795.000", "ukendt", "–", "Puljen"]
    assert row[5].startswith(seed_001)
    trail = [r[:4] for r in table_rows(html, "trail-table")]
    # From 2020 the pool's money is part of the block grant: said so, not "unknown".
    assert trail == [
        [
            "2019",
            "Puljen: Værdighedsmilliarden",
            "4.795.000 Kilde: " + seed_001[:-2] + ", reduktions- og effektiviseringsforslag",
            "intet forslag",
        ],
        ["2020", "Bloktilskud (ikke øremærket)", "–", "-3.596.000"],
        ["2021", "Bloktilskud (ikke øremærket)", "–", "-4.795.000"],
        ["2022", "Bloktilskud (ikke øremærket)", "–", "-4.795.000"],
        ["2023", "Bloktilskud (ikke øremærket)", "–", "-4.795.000"],
    ]
    proposal = BudgetProposal.objects.get(code="80BR_SSU")
    effect = read_table(html, f"proposal-{proposal.pk}")
    assert effect.caption_text == "80BR_SSU: beløb og årsværk pr. år"
    assert effect.rows["tbody"] == [
        ["2020", "-3.596.000", "8,3"],
        ["2021", "-4.795.000", "11,0"],
        ["2022", "-4.795.000", "11,0"],
        ["2023", "-4.795.000", "11,0"],
    ]
    assert "Nedlæggelse af de små aftenvagter på pleje- og træningscentre" in html
    assert "Lyngby-Taarbæk" in html and "Livskvalitet" in html
    assert Initiative.objects.get(key="lyngby-loeft-af-aftenvagt").description[:40] in html


def test_the_trail_chart_carries_the_tables_numbers(client, reader):
    html = detail(client, reader, "lyngby-loeft-af-aftenvagt")
    chart = svg(html, "chart-trail")
    assert 'role="img"' in chart and 'aria-labelledby="chart-trail-title chart-trail-desc"' in chart
    assert '<title id="chart-trail-title">Pengesporet for Løft af aftenvagten</title>' in chart
    assert "Pengesporet år for år (kr.)" in chart  # the desc names the table beside it
    for text in ("4.795.000", "-3.596.000", "-4.795.000"):
        assert f">{text}</text>" in chart
    for year in ("2019", "2020", "2021", "2022", "2023"):
        assert f">{year}</text>" in chart
    # Both series are named in the legend, not told apart by colour alone.
    assert "Finansiering (kr.)" in chart
    assert chart.count(">bloktilskud</text>") == 4  # 2020-2023, not "ukendt"
    assert "Foreslået ændring i budgetforslag (kr.)" in chart
    assert "<script" not in html.split('id="chart-trail"')[1].split("</svg>")[0]


def test_og_fremover_amounts_are_labelled_and_carried_only_as_the_source_says(client, reader):
    html = detail(client, reader, "ishoej-klippekortsordning")
    rows = table_rows(html, "amounts-table")
    assert [r[:5] for r in rows] == [
        ["2016", "335.000", "ukendt", "–", "Puljen"],
        ["2017 og fremover", "670.000", "ukendt", "–", "Puljen"],
    ]
    # The source gives 2016 twice: the figure used carries a note with both.
    assert "385.000 kr. i teksten og 335.000 kr. i den samlede oversigt" in rows[0][5]
    # "og fremover" carries while the pool runs (to 2019), and 2020 is the block grant's.
    trail = [row[:3] for row in table_rows(html, "trail-table")]
    assert [r[0] for r in trail] == ["2016", "2017", "2018", "2019", "2020"]
    assert trail[2][2].startswith("670.000 (jf. 2017 og fremover)")
    assert trail[4][1:] == ["Bloktilskud (ikke øremærket)", "–"]


def test_unknown_amounts_are_unknown_never_zero(client, reader):
    html = detail(client, reader, "lyngby-musikterapi")
    assert table_rows(html, "amounts-table") == [["Beløbene er ukendte (ukendt er ikke 0)."]]
    assert 'id="chart-trail"' not in html
    assert "Der er hverken kendte beløb eller budgetforslag for indsatsen." in html


def test_a_gap_year_is_unknown_and_an_og_fremover_amount_carries_into_later_years(seed):
    initiative = Initiative.objects.get(key="ishoej-klippekortsordning")
    proposal = BudgetProposal.objects.get(code="80BR_SSU")
    proposal.initiatives.add(initiative)
    trail = money_trail(
        Initiative.objects.prefetch_related("amounts", "proposals__amounts").get(pk=initiative.pk)
    )
    by_year = {t.year: t for t in trail}
    assert list(by_year) == list(range(2016, 2024))
    assert by_year[2019].funding == 670_000 and by_year[2019].funding_from == "2017 og fremover"
    assert by_year[2020].proposed == -3_596_000

    musik = Initiative.objects.get(key="lyngby-musikterapi")
    InitiativeAmount.objects.create(initiative=musik, year=2016, amount=100)
    InitiativeAmount.objects.create(initiative=musik, year=2019, amount=300)
    trail = money_trail(
        Initiative.objects.prefetch_related("amounts", "proposals__amounts").get(pk=musik.pk)
    )
    assert [(t.year, t.funding) for t in trail] == [
        (2016, 100),
        (2017, None),
        (2018, None),
        (2019, 300),
    ]


def test_unknown_initiative_is_404(client, reader):
    client.force_login(reader)
    assert client.get("/initiatives/999999/").status_code == 404
