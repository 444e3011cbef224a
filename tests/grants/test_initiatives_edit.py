from grants.models import AuditEvent, Initiative
from tests.conftest import recorded


def test_finance_staff_add_an_initiative_with_optional_amounts(client, ishoj):
    client.force_login(ishoj)
    response = client.post(
        "/initiatives/new/",
        {
            "title": "Madvenner",
            "description": "Fællesspisning for ensomme ældre.",
            "effect": "",
            "focus_area": "",
            "programme": "",
            "amount-2018": "120.000",
            "onward-2018": "on",
            "amount-2019": "",
        },
    )
    assert response.status_code == 302
    initiative = Initiative.objects.get(title="Madvenner")
    assert initiative.municipality.code == "183"
    assert [(a.year, a.amount, a.onward) for a in initiative.amounts.all()] == [
        (2018, 120_000, True)
    ]  # 2019 left empty: unknown, not 0
    changes = recorded(initiative=initiative)
    assert {"Titel", "Beskrivelse", "Budget 2018"} <= {label for label, _b, _a in changes}
    assert ("Budget 2018", "ukendt", "120.000 kr. og fremover") in changes
    assert AuditEvent.objects.get(initiative=initiative).action == "create"


def test_edit_records_before_and_after_and_forgets_an_amount(client, lyngby):
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    client.force_login(lyngby)
    page = client.get(f"/initiatives/{evening.pk}/edit/").content.decode()
    assert 'value="4.795.000"' in page
    response = client.post(
        f"/initiatives/{evening.pk}/edit/",
        {
            "title": evening.title,
            "description": evening.description,
            "effect": "",
            "focus_area": evening.focus_area_id,
            "programme": "",
            "amount-2019": "",
        },
    )
    assert response.status_code == 302
    assert not evening.amounts.exists()
    assert ("Budget 2019", "4.795.000 kr.", "ukendt") in recorded(initiative=evening)
    assert AuditEvent.objects.get(initiative=evening).actor == lyngby


def test_bad_amount_is_named_and_changes_nothing(client, lyngby):
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    client.force_login(lyngby)
    before = (evening.title, list(evening.amounts.values_list("year", "amount")))
    response = client.post(
        f"/initiatives/{evening.pk}/edit/",
        {
            "title": "Nyt navn",
            "description": "",
            "effect": "",
            "amount-2019": "4,795 mio",
        },
    )
    assert response.status_code == 400
    assert "Budget 2019 (kr.): &#x27;4,795 mio&#x27; er ikke et beløb" in response.content.decode()
    evening.refresh_from_db()
    assert (evening.title, list(evening.amounts.values_list("year", "amount"))) == before
    assert not AuditEvent.objects.filter(initiative=evening).exists()


def test_actual_spending_per_year_beside_the_budget(client, lyngby):
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    client.force_login(lyngby)
    response = client.post(
        f"/initiatives/{evening.pk}/edit/",
        {
            "title": evening.title,
            "description": evening.description,
            "effect": "",
            "focus_area": evening.focus_area_id,
            "programme": evening.programme_id,
            "amount-2019": "4.795.000",
            "actual-2019": "4.650.000",
            "actual-2018": "4.500.000",
        },
    )
    assert response.status_code == 302
    figures = {a.year: (a.amount, a.actual) for a in evening.amounts.all()}
    assert figures == {2018: (None, 4_500_000), 2019: (4_795_000, 4_650_000)}
    entries = {label: (before, after) for label, before, after in recorded(initiative=evening)}
    assert entries == {
        "Faktisk forbrug 2019": ("ukendt", "4.650.000 kr."),
        "Faktisk forbrug 2018": ("ukendt", "4.500.000 kr."),
    }
    page = client.get(f"/initiatives/{evening.pk}/").content.decode()
    assert "4.650.000" in page and "-145.000" in page  # actual beside budget, and the difference


def test_the_years_offered_come_from_the_programmes(client, ishoj):
    from grants.models import Programme

    client.force_login(ishoj)
    page = client.get("/initiatives/new/").content.decode()
    first, last = Programme.all_years()[0], Programme.all_years()[-1]
    assert f'name="amount-{first}"' in page and f'name="amount-{last}"' in page
    assert f'name="amount-{first - 1}"' not in page and f'name="amount-{last + 1}"' not in page
    Programme.objects.create(slug="ny", name="Ny pulje", first_year=last + 2, last_year=last + 3)
    page = client.get("/initiatives/new/").content.decode()
    assert f'name="amount-{last + 3}"' in page
