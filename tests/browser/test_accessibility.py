"""axe-core (vendored, tests/browser/vendor/) finds no serious or critical violation on the pages
people work in: the login page, the entry form (also with its error summary), the statement page
and its history."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import describe, serious_violations
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def assert_no_serious_violations(page, what: str) -> None:
    violations = serious_violations(page)
    assert not violations, (
        f"axe-core: {len(violations)} serious/critical violation(s) on {what} ({page.url}):\n"
        + describe(violations)
    )


def test_login_page(page, live_server, seed):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Log ind", level=1)).to_be_visible()
    assert_no_serious_violations(page, "the login page")


def test_entry_form(page, live_server, ishoj):
    login(page, live_server, "ishoj", "pw-ishoj")
    page.goto(f"{live_server.url}/statements/183/vaerdighed/2016/edit/")
    expect(page.get_by_role("textbox", name="Tabel 1 – Livskvalitet", exact=True)).to_be_visible()
    expect(page.locator("#balance-1")).to_have_text("Mangler at fordele: 2.844.000 kr.")
    assert_no_serious_violations(page, "the entry form")


def test_entry_form_after_failed_submit(page, live_server, ishoj):
    login(page, live_server, "ishoj", "pw-ishoj")
    page.goto(f"{live_server.url}/statements/183/vaerdighed/2016/edit/")
    page.get_by_role("textbox", name="Tabel 1 – Livskvalitet", exact=True).fill("1.152.000")
    page.get_by_role("button", name="Indsend", exact=True).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Tabel 1 mangler 1.692.000 kr.")
    assert_no_serious_violations(page, "the entry form with its error summary")


@pytest.mark.parametrize(
    "code, year",
    [
        ("173", 2018),  # submitted, every figure filled in, Boks 2 ticked
        ("183", 2016),  # a draft: the draft panel, empty rows, Boks 2 not ticked
    ],
    ids=["submitted-173-2018", "draft-183-2016"],
)
def test_statement_page(page, live_server, ishoj_reader, code, year):
    # Ishøj's committee member: reads submitted statements and Ishøj's own drafts.
    login(page, live_server, "udvalg-ishoj", "pw-udvalg-ishoj")
    page.goto(f"{live_server.url}/statements/{code}/vaerdighed/{year}/")
    expect(page.locator("article.ministry-form")).to_be_visible()
    assert_no_serious_violations(page, "the statement page")


def test_history_page(page, live_server, reader):
    login(page, live_server, "udvalg", "pw-udvalg")
    page.goto(f"{live_server.url}/statements/173/vaerdighed/2018/history/")
    expect(page.get_by_role("heading", name="Indlæst fra kildedokument")).to_be_visible()
    expect(page.get_by_role("table", name="Ændrede felter")).to_be_visible()
    assert_no_serious_violations(page, "the history page")
