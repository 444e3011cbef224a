"""Lyngby-Taarbæk's 2018 accounts in Chromium: one finance officer enters, another approves."""

import pytest
from playwright.sync_api import expect

from grants.models import Statement
from tests.accounts.test_accounts import ACTUAL_T1, ACTUAL_T2
from tests.browser.axe import describe, serious_violations
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

T1_LABELS = {
    "livskvalitet": "Livskvalitet",
    "selvbestemmelse": "Selvbestemmelse",
    "kvalitet": "Kvalitet, tværfaglighed og sammenhæng i plejen",
    "mad": "Mad og ernæring",
    "vaerdig_doed": "En værdig død",
    "andet": "Andet",
    "administration": "Revision af værdighedspolitik, dialog og administration mv.",
}
T2_LABELS = {
    "loen": "Lønudgifter (mere personale mhp. flere varme hænder)",
    "kompetence": "Kompetenceudvikling af personale",
    "anskaffelser": "Anskaffelser",
    "andet": "Andet",
    "administration": T1_LABELS["administration"],
}


def fill(page, table: int, labels: dict, amounts: dict) -> None:
    for code, label in labels.items():
        page.get_by_label(f"Regnskab, Tabel {table} – {label}", exact=True).fill(
            f"{amounts[code]:,}".replace(",", ".")
        )


def test_lyngby_enters_and_a_colleague_approves_the_2018_accounts(
    page, live_server, lyngby, lyngby2, screenshot
):
    """Attestation and approval are two people: lyngby enters and saves, lyngby2 approves."""
    login(page, live_server, "lyngby", "pw-lyngby")
    page.goto(f"{live_server.url}/statements/173/vaerdighed/2018/accounts/")
    # An empty form shows no balance as met.
    expect(page.locator("#tables-agree")).to_have_text("Intet regnskab indtastet endnu.")
    expect(page.locator("#unspent")).to_be_hidden()
    assert serious_violations(page) == [], describe(serious_violations(page))
    fill(page, 1, T1_LABELS, ACTUAL_T1)
    expect(page.locator("#actual-total-1")).to_have_text("11.235.000")
    expect(page.locator("#unspent")).to_have_text("Mindreforbrug: 45.000 kr.")
    # Tabel 2 first 7.000 short of Tabel 1: the page says so while typing.
    fill(page, 2, T2_LABELS, {**ACTUAL_T2, "loen": ACTUAL_T2["loen"] - 7_000})
    expect(page.locator("#tables-agree")).to_contain_text("forskel: 7.000 kr.")
    expect(
        page.locator(
            "#diff-"
            + page.get_by_label("Regnskab, Tabel 1 – Livskvalitet", exact=True).get_attribute(
                "data-row"
            )
        )
    ).to_have_text("-29.000")
    screenshot(page, "accounts-lyngby-2018")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_text("Regnskabet er gemt som kladde.")).to_be_visible()
    # The one who entered the figures is offered no approval.
    expect(page.get_by_role("button", name="Godkend de gemte tal")).to_have_count(0)
    expect(page.get_by_text("En kollega skal godkende regnskabet")).to_be_visible()

    page.context.clear_cookies()
    login(page, live_server, "lyngby2", "pw-lyngby2")
    page.goto(f"{live_server.url}/statements/173/vaerdighed/2018/accounts/")
    expect(page.get_by_text("Tallene blev sidst indtastet af lyngby.")).to_be_visible()
    page.get_by_role("button", name="Godkend de gemte tal").click()
    expect(page.locator(".error-summary")).to_contain_text("forskel 7.000 kr.")
    expect(page.get_by_text("Regnskabet kan ikke godkendes endnu. Intet er gemt.")).to_be_visible()
    assert serious_violations(page) == [], describe(serious_violations(page))
    page.get_by_label("Regnskab, Tabel 2 – " + T2_LABELS["loen"], exact=True).fill("10.220.000")
    expect(page.locator("#tables-agree")).to_have_text("Tabel 1 og Tabel 2 summerer til det samme.")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_text("Regnskabet er gemt som kladde.")).to_be_visible()

    page.context.clear_cookies()
    login(page, live_server, "lyngby", "pw-lyngby")
    page.goto(f"{live_server.url}/statements/173/vaerdighed/2018/accounts/")
    page.get_by_role("button", name="Godkend de gemte tal").click()
    page.wait_for_url(f"{live_server.url}/statements/173/vaerdighed/2018/")
    section = page.locator(".accounts-section")
    expect(section).to_contain_text("Godkendt")
    expect(section).to_contain_text("Mindreforbrug: 45.000 kr.")
    row = section.get_by_role("row", name="Livskvalitet").first
    assert row.inner_text().split("\t")[1:4] == ["8.879.000", "8.850.000", "-29.000"]
    assert serious_violations(page) == [], describe(serious_violations(page))
    screenshot(page, "statement-173-2018-accounts")
    statement = Statement.objects.get(grant__municipality__code="173", grant__grant_year__year=2018)
    assert statement.accounts_approved and statement.accounts_approved_by == lyngby
    page.goto(f"{live_server.url}/statements/173/vaerdighed/2018/accounts/")
    expect(page.get_by_text("Regnskabet er godkendt og kan ikke ændres.")).to_be_visible()
    assert serious_violations(page) == [], describe(serious_violations(page))
