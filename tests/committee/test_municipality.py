"""/municipalities/<code>/: grants per year with the statements' status, its initiatives and
proposals, and its split over the years from the same sums as everywhere else."""

from tests.committee.helpers import read_table, svg, table_rows
from tests.factories import make_statement

SEED_000 = "Redegørelse for anvendelsen af midlerne til en mere værdig ældrepleje i 2018"
SEED_002 = "Redegørelse vedr. brugen af midler fra Værdighedsmilliarden 2016"


def municipality(client, reader, code: str) -> str:
    client.force_login(reader)
    response = client.get(f"/municipalities/{code}/")
    assert response.status_code == 200
    return response.content.decode()


def test_lyngby_grants_statements_initiatives_and_proposals(client, reader):
    html = municipality(client, reader, "173")
    assert "<h1>Lyngby-Taarbæk Kommune</h1>" in html
    grants = {r[0]: r[1:3] for r in table_rows(html, "grants-vaerdighed")}
    assert grants["2018"] == ["11.280.000Kilde: " + SEED_000, "Indsendt"]
    assert grants["2017"] == ["ikke registreret", "–"]
    assert 'href="/statements/173/vaerdighed/2018/"' in html
    # Every programme, with its years, and where its money went after.
    assert "Overgået til bloktilskud fra 2020." in html
    assert "Overgået til bloktilskud fra 2019." in html  # the care-home klippekort pool
    assert "En varig pulje." in html  # bedre bemanding
    initiatives = {r[0]: r[3] for r in table_rows(html, "municipality-initiatives")}
    assert initiatives["Løft af aftenvagten"] == "2019: 4.795.000"
    assert initiatives["Musikterapi"] == "ukendt"
    proposals = read_table(html, "municipality-proposals")
    assert proposals.rows["thead"][0][3:] == ["2020", "2021", "2022", "2023"]
    by_code = {r[0]: r[3:] for r in proposals.rows["tbody"]}
    assert by_code["80BR_SSU"] == ["-3.596.000", "-4.795.000", "-4.795.000", "-4.795.000"]
    assert len(by_code) == 18


def test_lyngby_split_over_the_years_table_and_chart(client, reader):
    make_statement("173", 2019, {"livskvalitet": 6_000_000, "kvalitet": 4_000_000})
    html = municipality(client, reader, "173")
    history = read_table(html, "history-table")
    assert history.rows["thead"][0] == ["Række", "2018", "2019"]
    rows = {r[0]: r[1:] for r in history.rows["tbody"]}
    assert rows["Livskvalitet"] == ["8.879.000 (78,7 %)", "6.000.000 (60,0 %)"]
    assert history.rows["tfoot"] == [["Udmøntning i alt", "11.280.000", "10.000.000"]]
    chart = svg(html, "chart-history")
    assert ">2018</text>" in chart and ">2019</text>" in chart
    assert "2019, Livskvalitet: 6.000.000 kr. (60,0 %)" in chart
    assert ">11.280.000 kr.</text>" in chart and ">10.000.000 kr.</text>" in chart


def test_ishoj_draft_and_its_initiatives_of_both_programmes(client, reader, ishoj_reader):
    national = municipality(client, reader, "183")
    # Ishøj's draft is Ishøj's own: not submitted, with no link, for a national reader.
    assert {r[0]: r[2] for r in table_rows(national, "grants-vaerdighed")}["2016"] == (
        "Ikke indsendt"
    )
    assert 'href="/statements/183/vaerdighed/2016/"' not in national
    html = municipality(client, ishoj_reader, "183")
    grants = {r[0]: r[1:4] for r in table_rows(html, "grants-vaerdighed")}
    assert grants["2016"][:2] == ["2.844.000Kilde: " + SEED_002, "Kladde"]
    # Its five initiatives sum to the grant (seed 002's table).
    assert grants["2016"][2] == "2.844.000 = tilskuddet"
    # Ældremilliarden 2015 (seed 004): the grant, no form on record, its three initiatives
    # reconciled to the grant.
    aeldre = {r[0]: r[1:4] for r in table_rows(html, "grants-aeldre")}
    assert aeldre["2015"] == [
        "2.814.000Kilde: Status på tre indsatser finansieret af ældremilliarden",
        "Skema ikke i kilderne",
        "2.814.000 = tilskuddet",
    ]
    assert "Kommunen har ingen indsendte redegørelser endnu" in html
    programmes = [r[2] for r in table_rows(html, "municipality-initiatives")]
    assert sorted(programmes) == ["Værdighedsmilliarden"] * 5 + ["Ældremilliarden"] * 3


def test_unknown_municipality_is_404(client, reader):
    client.force_login(reader)
    assert client.get("/municipalities/999/").status_code == 404
