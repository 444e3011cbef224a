"""Several pools in one ledger (issue 10): programme-years, the old URLs, the block grant in the
money trail, initiatives reconciled with the grant and with Tabel 1, provenance."""

import re

import pytest
from django.db import IntegrityError, transaction

from grants.models import GrantYear, Initiative, Programme
from tests.committee.helpers import table_rows
from tests.conftest import get_statement
from tests.factories import make_grant_year, make_initiative, make_programme


def test_a_year_is_unique_per_programme_and_two_programmes_share_one(db):
    first = make_programme("en", 2030, 2031)
    second = make_programme("to", 2030, 2031)
    make_grant_year(2030, programme=first)
    make_grant_year(2030, programme=second)  # the same year in another pool: fine
    assert GrantYear.objects.filter(year=2030).count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantYear.objects.create(programme=first, year=2030)


@pytest.mark.parametrize(
    "old, new",
    [
        ("/statements/173/2018/", "/statements/173/vaerdighed/2018/"),
        ("/statements/173/2018/export.xlsx", "/statements/173/vaerdighed/2018/export.xlsx"),
        ("/statements/183/2016/edit/", "/statements/183/vaerdighed/2016/edit/"),
        ("/statements/183/2016/history/", "/statements/183/vaerdighed/2016/history/"),
        ("/statements/183/2016/import/", "/statements/183/vaerdighed/2016/import/"),
        ("/statements/173/2018/accounts/", "/statements/173/vaerdighed/2018/accounts/"),
        ("/years/2018/export.xlsx", "/years/vaerdighed/2018/export.xlsx"),
        ("/years/2018/export.csv", "/years/vaerdighed/2018/export.csv"),
        ("/years/2018/compare/?sort=-total", "/years/vaerdighed/2018/compare/?sort=-total"),
    ],
)
def test_every_old_url_redirects_permanently_to_its_new_one(client, administrator, old, new):
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == new
    client.force_login(administrator)
    assert client.get(old, follow=True).status_code == 200


def test_a_form_posted_to_an_old_url_keeps_its_method(client, ishoj):
    client.force_login(ishoj)
    response = client.post("/statements/183/2016/edit/", {"action": "save"})
    assert response.status_code == 308
    assert response["Location"] == "/statements/183/vaerdighed/2016/edit/"


def test_the_evening_shift_shows_the_block_grant_from_2020(client, reader):
    client.force_login(reader)
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    rows = table_rows(client.get(f"/initiatives/{evening.pk}/").content.decode(), "trail-table")
    stages = {r[0]: r[1] for r in rows}
    assert stages["2019"] == "Puljen: Værdighedsmilliarden"
    assert all(stages[y] == "Bloktilskud (ikke øremærket)" for y in ("2020", "2021", "2022"))
    assert "ukendt" not in [r[2] for r in rows]


def test_the_care_home_clip_card_moves_from_its_pool_to_the_budget_and_into_a_cut(client, reader):
    """Seed 001, 87BR: a state pool in 2017-2018 (amount not in the sources), the
    municipality's own budget from 2019 (2.000.000 kr.), proposed cut from 2020."""
    client.force_login(reader)
    card = Initiative.objects.get(key="lyngby-klippekort-plejecentre")
    rows = table_rows(client.get(f"/initiatives/{card.pk}/").content.decode(), "trail-table")
    by_year = {r[0]: r for r in rows}
    assert by_year["2017"][1] == "Puljen: Klippekort til beboere på plejecentre"
    assert by_year["2017"][2].startswith("ukendt")
    assert by_year["2018"][1] == "Puljen: Klippekort til beboere på plejecentre"
    assert by_year["2019"][1] == "Kommunens eget budget"
    assert by_year["2019"][2].startswith("2.000.000")
    assert by_year["2020"][3:5] == ["-2.073.000", "87BR_SSU (Sendt i høring)"]


def test_ishoj_2016_initiatives_reconcile_with_the_grant_and_tabel_1(client, ishoj_reader):
    client.force_login(ishoj_reader)
    html = client.get("/statements/183/vaerdighed/2016/").content.decode()
    rows = {r[0]: r[1:4] for r in table_rows(html, "reconciliation-table")}
    # Linked only as seed 002 says: klippekort and velfærdsteknologi to selvbestemmelse,
    # the activity centre and the network to livskvalitet; competence development names no
    # theme of the form and stays unlinked. Tabel 1 is still empty ("–").
    assert rows["Livskvalitet"] == ["–", "450.000", "-450.000"]
    assert rows["Selvbestemmelse"] == ["–", "1.035.000", "-1.035.000"]
    assert "1.359.000 kr.: Kompetenceudvikling" in html
    assert '<dd id="reconciliation-total">2.844.000 kr.</dd>' in html
    assert "0 kr. – indsatserne svarer til tilskuddet" in html


def test_fordel_efter_indsatser_fills_tabel_1_without_saving(client, ishoj):
    client.force_login(ishoj)
    s = get_statement("183", 2016)
    version = s.version
    data = {"version": s.version, "grant": "2.844.000", "box1": "", "action": "initiatives"}
    response = client.post("/statements/183/vaerdighed/2016/edit/", data)
    html = response.content.decode()
    ids = {line.row.code: line.row_id for line in s.lines.all() if line.row.table == 1}

    def value(code: str) -> str:
        tag = re.search(rf'<input[^>]*name="amount-{ids[code]}"[^>]*>', html).group(0)
        return re.search(r'value="([^"]*)"', tag).group(1)

    assert value("livskvalitet") == "450.000" and value("selvbestemmelse") == "1.035.000"
    assert value("mad") == "0"
    assert "1.359.000 kr. fra indsatser, der ikke hører til en række, er ikke fordelt." in html
    assert get_statement("183", 2016).version == version  # nothing saved


def test_aeldremilliarden_2015_has_no_form_and_is_reconciled(client, ishoj_reader, ishoj):
    client.force_login(ishoj_reader)
    html = client.get("/statements/183/aeldre/2015/").content.decode()
    assert "Redegørelsesskemaet for Ældremilliarden 2015 findes ikke i kilderne" in html
    assert '<dd id="reconciliation-total">2.814.000 kr.</dd>' in html
    assert 'class="ministry-form"' not in html
    client.force_login(ishoj)
    assert client.get("/statements/183/aeldre/2015/edit/").status_code == 302


def test_unverified_forms_and_unknown_dates_say_so(client, ishoj_reader):
    client.force_login(ishoj_reader)
    html_2016 = client.get("/statements/183/vaerdighed/2016/").content.decode()
    assert "Skemaet for 2016 er ikke efterprøvet mod en kilde" in html_2016
    html_2018 = client.get("/statements/173/vaerdighed/2018/").content.decode()
    assert "ikke efterprøvet" not in html_2018
    assert "indsendelsesdato ukendt" in html_2018
    assert "Teksten er vores sammenfatning af Lyngby-Taarbæk Kommunes egen tekst" in html_2018


def test_an_onward_amount_of_the_municipalitys_own_budget_outlives_the_pool(db):
    programme = make_programme("p", 2030, 2031)
    programme.block_grant_from = 2032
    programme.save()
    pooled = make_initiative("173", "Pulje", amounts=[], programme=programme)
    pooled.amounts.create(year=2030, amount=100, onward=True, funding="pool")
    own = make_initiative("173", "Eget", amounts=[], programme=programme)
    own.amounts.create(year=2030, amount=50, onward=True, funding="own")
    assert pooled.amount_in(2031).amount == 100 and pooled.amount_in(2032) is None
    assert own.amount_in(2033).amount == 50
    assert Programme.objects.get(slug="p").in_block_grant(2032)


def test_a_workbook_of_another_programme_is_refused_naming_it(ishoj):
    from grants.exports import statement_workbook
    from grants.imports import parse_statement_workbook
    from grants.rules import statement_figures
    from grants.services import ImportMismatch, check_import
    from tests.factories import make_statement

    first = make_grant_year(2030, programme=make_programme("a", 2030, 2030))
    second = make_grant_year(2030, programme=make_programme("b", 2030, 2030))
    first.form_title, second.form_title = "Skema for pulje a 2030", "Skema for pulje b 2030"
    first.save()
    second.save()
    in_a = make_statement("183", first, {"omraade": 1}, submitted=False)
    in_b = make_statement("183", second, {"omraade": 1}, submitted=False)
    parsed = parse_statement_workbook(statement_workbook(in_a, statement_figures(in_a)))
    assert parsed.grant_year == first  # the workbook says which programme-year it is
    with pytest.raises(ImportMismatch, match="Filen gælder Ishøj Kommune, Pulje a 2030"):
        check_import(statement=get_statement("183", 2030, programme="b"), parsed=parsed)
    assert in_b.version == get_statement("183", 2030, programme="b").version
