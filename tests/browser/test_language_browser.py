"""The language switcher in Chromium: a committee member switches to English with the keyboard,
reads English pages (the choice sticks from page to page), sees the ministry's form still in
Danish, and switches back with a click. Finance staff get the entry form's live totals in English.
axe-core finds no serious or critical violation on the English pages."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import describe, serious_violations
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def assert_accessible(page, what: str) -> None:
    violations = serious_violations(page)
    assert not violations, (
        f"axe-core: {len(violations)} serious/critical violation(s) on {what} ({page.url}):\n"
        + describe(violations)
    )


def test_committee_member_switches_to_english_and_back(page, live_server, reader, screenshot):
    refused = []  # the switcher needs no inline script or style: nothing the policy refuses
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    login(page, live_server, "udvalg", "pw-udvalg")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "da")
    switcher = page.get_by_role("group", name="Sprog")
    expect(switcher.get_by_role("button", name="Dansk")).to_have_attribute("aria-current", "true")

    # With the keyboard: Tab from the "Log ud" button reaches the switcher; Enter submits.
    page.get_by_role("button", name="Log ud").focus()
    page.keyboard.press("Tab")
    dansk = switcher.get_by_role("button", name="Dansk")
    expect(dansk).to_be_focused()
    assert dansk.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"  # visible focus
    page.keyboard.press("Tab")
    english = switcher.get_by_role("button", name="English")
    expect(english).to_be_focused()
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/")
    expect(html).to_have_attribute("lang", "en")
    nav = page.get_by_role("navigation", name="Main menu")
    for link in ("Overview", "Initiatives", "Budget proposals"):
        expect(nav.get_by_role("link", name=link, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="How far have the municipalities got?")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    language = page.get_by_role("group", name="Language")
    expect(language.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    screenshot(page, "overview-english")
    assert_accessible(page, "the overview in English")

    # The choice sticks on the next page.
    nav.get_by_role("link", name="Initiatives", exact=True).click()
    page.wait_for_url(f"{live_server.url}/initiatives/")
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Initiatives", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Filter", exact=True)).to_be_visible()
    expect(page.get_by_text("Download the whole filtered table:")).to_be_visible()
    screenshot(page, "initiatives-english")
    assert_accessible(page, "the initiatives in English")

    # The statement: English around the form, the ministry's form itself in Danish.
    page.goto(f"{live_server.url}/statements/173/vaerdighed/2018/")
    expect(page.get_by_role("link", name="Download as spreadsheet (xlsx)")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Redegørelse for anvendelsen af midlerne til en mere værdig ældrepleje i 2018"
    )
    form = page.locator("article.ministry-form")
    for label in ("Samlet beløb", "Livskvalitet", "Udmøntning i alt"):
        expect(form.get_by_role("rowheader", name=label, exact=True).first).to_be_visible()
    screenshot(page, "statement-english")
    assert_accessible(page, "the statement in English")

    # Back to Danish with a click, on the same page.
    page.get_by_role("group", name="Language").get_by_role("button", name="Dansk").click()
    page.wait_for_url(f"{live_server.url}/statements/173/vaerdighed/2018/")
    expect(html).to_have_attribute("lang", "da")
    expect(page.get_by_role("link", name="Hent som regneark (xlsx)")).to_be_visible()
    expect(page.get_by_role("navigation", name="Hovedmenu")).to_be_visible()
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Overblik").click()
    expect(page.get_by_role("heading", name="Overblik", level=1)).to_be_visible()
    assert refused == []


def test_finance_staff_enter_figures_in_english(page, live_server, ishoj, screenshot):
    login(page, live_server, "ishoj", "pw-ishoj")
    page.get_by_role("group", name="Sprog").get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/statements/183/vaerdighed/2016/edit/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # The inputs are named by the form's own (Danish) row labels; the words around them are English.
    field = page.get_by_role("textbox", name="Table 1 – Livskvalitet", exact=True)
    # Amounts shown the English way (DKK 2,844,000), by the server and by the live total alike;
    # typed and kept in the inputs the Danish way, as the ministry's form is Danish.
    expect(page.locator("#balance-1")).to_have_text("Left to allocate: DKK 2,844,000")
    expect(page.get_by_label("Grant (DKK)")).to_have_value("2.844.000")
    field.fill("1.152.000")  # the live total (static/js/entry.js) takes its words from the page
    expect(page.locator("#balance-1")).to_have_text("Left to allocate: DKK 1,692,000")
    expect(page.locator("#total-1")).to_have_text("1,152,000")
    expect(page.get_by_role("button", name="Save draft").last).to_be_visible()
    screenshot(page, "statement-edit-english")
    assert_accessible(page, "the entry form in English")
