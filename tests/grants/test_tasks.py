"""The landing for each role: finance staff's "Dine opgaver" with the one next action for each
programme-year (grants.tasks), committee members' overview, administrators' own tasks."""

import datetime
import re

from django.utils import timezone

from grants.models import GrantYear, StatementStep
from grants.services import approve_accounts, record_step, save_accounts
from tests.conftest import get_statement


def actions(html: str) -> list[tuple[str, str]]:
    """(programme-year, action label) for every task on the landing."""
    button = r'<a class="button[^"]*" href="[^"]*">([^<]+)'
    return re.findall(button + r'<span class="visually-hidden">: ([^<]+)</span>', html)


def test_ishoj_lands_on_its_tasks_with_its_2016_draft(client, ishoj):
    client.force_login(ishoj)
    html = client.get("/").content.decode()
    assert "<h1>Dine opgaver</h1>" in html and "Ishøj Kommune" in html
    assert ("Fortsæt kladden", "Værdighedsmilliarden 2016") in actions(html)
    assert 'href="/statements/183/vaerdighed/2016/edit/"' in html
    assert ("Fortsæt kladden", "Ældremilliarden 2015") in actions(html)
    # Another municipality's statements are not on it.
    assert "Lyngby" not in html


def test_a_year_without_a_grant_offers_to_register_it(client, lyngby):
    client.force_login(lyngby)
    html = client.get("/").content.decode()
    assert ("Registrér tilskud", "Værdighedsmilliarden 2019") in actions(html)
    year_2019 = GrantYear.objects.get(programme__slug="vaerdighed", year=2019)
    assert f'href="/grants/new/?grant_year={year_2019.pk}"' in html
    form = client.get(f"/grants/new/?grant_year={year_2019.pk}").content.decode()
    assert f'<option value="{year_2019.pk}" selected>' in form


def test_the_next_action_follows_the_statement_through_its_life(client, lyngby, lyngby2):
    """Submitted → the council's approval → the sending → (published in the seed) → accounts →
    a colleague's approval → done."""
    client.force_login(lyngby)
    s = get_statement("173", 2018)
    assert ("Registrér kommunalbestyrelsens godkendelse", "Værdighedsmilliarden 2018") in (
        actions(client.get("/").content.decode())
    )
    day = datetime.date(2018, 10, 1)
    record_step(statement=s, kind=StatementStep.Kind.COUNCIL_APPROVAL, date=day, acting_user=lyngby)
    assert ("Registrér afsendelsen til ministeriet", "Værdighedsmilliarden 2018") in (
        actions(client.get("/").content.decode())
    )
    record_step(statement=s, kind=StatementStep.Kind.SENT, date=day, acting_user=lyngby)
    html = client.get("/").content.decode()
    assert ("Indtast regnskab", "Værdighedsmilliarden 2018") in actions(html)
    s = get_statement("173", 2018)
    actuals = {line.row_id: line.amount or 0 for line in s.lines.all()}
    save_accounts(statement=s, actuals=actuals, acting_user=lyngby, expected_version=s.version)
    html = client.get("/").content.decode()
    assert "Regnskabet venter på, at en kollega godkender det." in html
    assert not [a for a in actions(html) if a[1] == "Værdighedsmilliarden 2018"]
    client.force_login(lyngby2)
    assert ("Godkend regnskabet", "Værdighedsmilliarden 2018") in (
        actions(client.get("/").content.decode())
    )
    approve_accounts(statement=s, acting_user=lyngby2)
    assert "Færdig: redegørelse og regnskab er godkendt." in client.get("/").content.decode()
    # The statement page's primary action is the same one.
    client.force_login(lyngby)
    page = client.get("/statements/173/vaerdighed/2018/").content.decode()
    assert "Færdig: redegørelse og regnskab er godkendt." in page


def test_overdue_drafts_are_marked_for_staff_and_listed_for_administrators(
    client, ishoj, administrator
):
    past = timezone.localdate() - datetime.timedelta(days=1)
    GrantYear.objects.filter(programme__slug="vaerdighed", year=2016).update(deadline=past)
    client.force_login(ishoj)
    html = client.get("/").content.decode()
    assert html.count("Fristen er overskredet") == 1  # the 2016 draft only
    client.force_login(administrator)
    html = client.get("/").content.decode()
    assert "Kladder efter fristen" in html
    assert "Ishøj: Værdighedsmilliarden 2016" in html
    assert "Fastsæt fristen for Værdighedsmilliarden 2017" in html
    assert "Fastsæt fristen for Værdighedsmilliarden 2016" not in html


def test_committee_members_land_on_the_overview(client, reader):
    client.force_login(reader)
    html = client.get("/").content.decode()
    assert "Dine opgaver" not in html and "Hvor langt er kommunerne?" in html
    assert client.get("/tasks/").status_code == 403
