from grants.models import AuditEntry, Initiative


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
    fields = set(AuditEntry.objects.filter(initiative=initiative).values_list("field", flat=True))
    assert {"Titel", "Beskrivelse", "Beløb 2018"} <= fields


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
    entry = AuditEntry.objects.get(initiative=evening, field="Beløb 2019")
    assert (entry.before, entry.after, entry.actor) == ("4.795.000 kr.", "ukendt", lyngby)


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
    assert "Beløb 2019 (kr.): &#x27;4,795 mio&#x27; er ikke et beløb" in response.content.decode()
    evening.refresh_from_db()
    assert (evening.title, list(evening.amounts.values_list("year", "amount"))) == before
    assert not AuditEntry.objects.filter(initiative=evening).exists()
