"""Finance staff fill in a statement in Chromium: live balances, the error summary, submitting,
the frozen statement, the workbook, and two editors saving over each other (rule 4)."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.conftest import get_statement

pytestmark = pytest.mark.django_db(transaction=True)

ISHOJ = ("ishoj", "pw-ishoj")
ADMIN = ("admin", "pw-admin")

LIVSKVALITET = "Tabel 1 – Livskvalitet"
SELVBESTEMMELSE = "Tabel 1 – Selvbestemmelse"
KVALITET = "Tabel 1 – Kvalitet, tværfaglighed og sammenhæng i plejen"
LOENUDGIFTER = "Tabel 2 – Lønudgifter (mere personale mhp. flere varme hænder)"
KOMPETENCE = "Tabel 2 – Kompetenceudvikling af personale"
BOX2 = "BOKS 2. Bekræftelse redegørelse"
BALANCED = "Fordelt: tabellen summerer til tilskuddet."


def amount_input(page, name: str):
    """An amount input found by its accessible name, as a screen reader user meets it."""
    return page.get_by_role("textbox", name=name, exact=True)


def amount_cell(table, label: str):
    """The amount cell of the statement page's row whose header is exactly `label`."""
    return (
        table.get_by_role("row")
        .filter(has=table.page.get_by_role("rowheader", name=label, exact=True))
        .get_by_role("cell")
    )


def edit_url(live_server, code="183", year=2016) -> str:
    return f"{live_server.url}/statements/{code}/vaerdighed/{year}/edit/"


def test_ishoj_balances_submits_and_exports(page, live_server, ishoj, screenshot, tmp_path):
    login(page, live_server, *ISHOJ)
    page.goto(edit_url(live_server))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kladde")
    expect(page.get_by_label("Tilskud (kr.)")).to_have_value("2.844.000")
    balance1 = page.locator("#balance-1")
    balance2 = page.locator("#balance-2")
    expect(balance1).to_have_text("Mangler at fordele: 2.844.000 kr.")
    expect(balance2).to_have_text("Mangler at fordele: 2.844.000 kr.")

    # Tabel 1, typed three Danish ways; the balance follows every change.
    amount_input(page, LIVSKVALITET).fill("1.152.000")
    expect(balance1).to_have_text("Mangler at fordele: 1.692.000 kr.")
    amount_input(page, SELVBESTEMMELSE).fill("335000")
    expect(balance1).to_have_text("Mangler at fordele: 1.357.000 kr.")
    amount_input(page, KVALITET).fill("1.360.000")
    expect(balance1).to_have_text("Overfordelt: 3.000 kr.")
    expect(balance1).to_have_attribute("data-state", "over")
    kvalitet = amount_input(page, KVALITET)
    kvalitet.fill("")
    kvalitet.press_sequentially("1 357 000")  # key by key, as a person types
    expect(balance1).to_have_text(BALANCED)
    expect(balance1).to_have_attribute("data-state", "ok")
    expect(page.locator("#total-1")).to_have_text("2.844.000")
    expect(balance2).to_have_text("Mangler at fordele: 2.844.000 kr.")  # the other table untouched

    # Tabel 2, 12.000 short; Boks 2 ticked.
    amount_input(page, LOENUDGIFTER).fill("1.473.000")
    amount_input(page, KOMPETENCE).fill("1.359.000")
    expect(balance2).to_have_text("Mangler at fordele: 12.000 kr.")
    box2 = page.get_by_role("group", name=BOX2).get_by_role("checkbox")
    box2.check()
    expect(box2).to_be_checked()
    screenshot(page, "entry-form-ishoj-2016")

    # Submitting is refused and says exactly what is wrong, linking to the field.
    page.get_by_role("button", name="Indsend", exact=True).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Tabel 2 mangler 12.000 kr.")
    expect(summary).to_contain_text("Boks 1: Beskrivelsen af, hvordan udmøntningen")  # required
    expect(summary).not_to_contain_text("Tabel 1")
    expect(summary).not_to_contain_text("Boks 2")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name="Tabel 2 mangler 12.000 kr.")
    loen_id = amount_input(page, LOENUDGIFTER).get_attribute("id")
    expect(link).to_have_attribute("href", f"#{loen_id}")
    expect(page.locator("ul.messages")).to_contain_text(
        "Kladden er gemt, men redegørelsen kan ikke indsendes endnu."
    )
    # What was typed is kept (saved as a draft), formatted the Danish way.
    expect(amount_input(page, LIVSKVALITET)).to_have_value("1.152.000")
    expect(amount_input(page, SELVBESTEMMELSE)).to_have_value("335.000")
    expect(amount_input(page, KVALITET)).to_have_value("1.357.000")
    expect(amount_input(page, LOENUDGIFTER)).to_have_value("1.473.000")
    expect(balance1).to_have_text(BALANCED)
    expect(balance2).to_have_text("Mangler at fordele: 12.000 kr.")
    expect(page.get_by_role("group", name=BOX2).get_by_role("checkbox")).to_be_checked()
    screenshot(page, "entry-form-error-summary")

    # Corrected: "Indsend" saves and leads to the review page; nothing is submitted yet.
    amount_input(page, LOENUDGIFTER).fill("1.485.000")
    page.get_by_label(re.compile(r"^BOKS 1\. Hvorledes")).fill("Ishøjs værdighedspolitik …")
    expect(balance2).to_have_text(BALANCED)
    review_url = f"{live_server.url}/statements/183/vaerdighed/2016/review/"
    page.get_by_role("button", name="Indsend", exact=True).click()
    page.wait_for_url(review_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tjek og indsend")
    expect(page.get_by_role("heading", name="Hvad sker der nu?")).to_be_visible()
    review_t1 = page.get_by_role("table", name=re.compile(r"^Tabel 1\."))
    expect(amount_cell(review_t1, "Udmøntning i alt")).to_have_text("2.844.000")
    assert get_statement("183", 2016).status == "draft"
    screenshot(page, "review-ishoj-2016")
    # Going back keeps everything.
    page.get_by_role("link", name="Tilbage til skemaet (intet går tabt)").click()
    expect(amount_input(page, LOENUDGIFTER)).to_have_value("1.485.000")
    expect(page.get_by_role("group", name=BOX2).get_by_role("checkbox")).to_be_checked()
    page.get_by_role("button", name="Indsend", exact=True).click()
    page.wait_for_url(review_url)
    page.get_by_role("button", name="Bekræft og indsend").click()
    page.wait_for_url(f"{live_server.url}/statements/183/vaerdighed/2016/")
    expect(page.locator(".toolbar .status")).to_have_text("Indsendt")
    # The message says what comes next: the council's approval, the sending.
    expect(page.locator("ul.messages")).to_contain_text(
        "Redegørelsen er indsendt og kan ikke længere ændres. Næste skridt: kommunalbestyrelsen"
    )
    expect(page.locator(".draft-panel")).to_have_count(0)
    table1 = page.get_by_role("table", name=re.compile(r"^Tabel 1\."))
    table2 = page.get_by_role("table", name=re.compile(r"^Tabel 2\."))
    expect(amount_cell(table1, "Livskvalitet")).to_have_text("1.152.000")
    expect(amount_cell(table1, "Selvbestemmelse")).to_have_text("335.000")
    expect(amount_cell(table1, "Udmøntning i alt")).to_have_text("2.844.000")
    expect(
        amount_cell(table2, "Lønudgifter (mere personale mhp. flere varme hænder)")
    ).to_have_text("1.485.000")
    expect(amount_cell(table2, "Udmøntning i alt")).to_have_text("2.844.000")
    expect(page.get_by_role("link", name="Fortsæt kladden")).to_have_count(0)
    screenshot(page, "statement-183-2016-submitted")

    # Frozen: the edit page offers nothing to change.
    page.goto(edit_url(live_server))
    expect(page.get_by_text("Redegørelsen er indsendt og kan ikke ændres.")).to_be_visible()
    expect(amount_input(page, LIVSKVALITET)).to_have_count(0)
    expect(page.get_by_role("button", name="Indsend", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Gem kladde")).to_have_count(0)

    # The workbook carries the submitted figures.
    page.goto(f"{live_server.url}/statements/183/vaerdighed/2016/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Hent som regneark (xlsx)").click()
    download = download_info.value
    assert download.suggested_filename == "redegoerelse-183-2016.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    ws = load_workbook(path).active
    assert ws["A4"].value == "Tilskud:" and ws["B4"].value == 2844000
    amounts: dict[str, list] = {}
    for label, amount in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if isinstance(label, str):
            amounts.setdefault(label, []).append(amount)
    assert amounts["Livskvalitet"] == [1152000]
    assert amounts["Selvbestemmelse"] == [335000]
    assert amounts["Kvalitet, tværfaglighed og sammenhæng i plejen"] == [1357000]
    assert amounts["Lønudgifter (mere personale mhp. flere varme hænder)"] == [1485000]
    assert amounts["Kompetenceudvikling af personale"] == [1359000]
    assert amounts["Mad og ernæring"] == [None]  # not filled in: empty, never 0
    box2_mark = next(
        mark
        for text, mark in ws.iter_rows(min_col=1, max_col=2, values_only=True)
        if str(text).startswith("Det bekræftes")
    )
    assert box2_mark == "X"

    statement = get_statement("183", 2016)
    assert statement.status == "submitted"
    assert statement.submitted_by.username == "ishoj"


def test_two_editors_conflict(new_context, live_server, ishoj, administrator, screenshot):
    """Ishøj's finance officer and an administrator open the same draft; the second save is
    refused with both versions shown, and nothing is overwritten."""
    first = new_context().new_page()
    second = new_context().new_page()
    login(first, live_server, *ISHOJ)
    login(second, live_server, *ADMIN)
    first.goto(edit_url(live_server))
    second.goto(edit_url(live_server))
    expect(amount_input(first, LIVSKVALITET)).to_have_value("")
    expect(amount_input(second, SELVBESTEMMELSE)).to_have_value("")

    amount_input(first, LIVSKVALITET).fill("1.152.000")
    first.get_by_role("button", name="Gem kladde").click()
    expect(first.locator("ul.messages")).to_contain_text("Kladden er gemt.")
    expect(amount_input(first, LIVSKVALITET)).to_have_value("1.152.000")

    amount_input(second, SELVBESTEMMELSE).fill("335.000")
    with second.expect_response(
        lambda r: r.request.method == "POST" and r.url == edit_url(live_server)
    ) as response_info:
        second.get_by_role("button", name="Gem kladde").click()
    assert response_info.value.status == 409
    expect(second.get_by_role("heading", level=1)).to_have_text(
        "Redegørelsen er ændret af en anden"
    )
    expect(second.get_by_role("alert")).to_contain_text("Dine ændringer er ikke gemt")
    expect(second.get_by_role("alert")).to_contain_text("Seneste ændring: ishoj")
    table = second.get_by_role("table", name="Det gemte og dine værdier")
    headers = table.get_by_role("columnheader")
    expect(headers).to_have_text(["Post", "Gemt af den anden", "Dine værdier"])

    def cells(label: str):
        row = table.get_by_role("row").filter(
            has=second.get_by_role("rowheader", name=re.compile("^" + re.escape(label)))
        )
        return row.get_by_role("cell")

    # Theirs (saved) and mine (refused), side by side.
    expect(cells(LIVSKVALITET)).to_have_text(["1.152.000", "–"])
    expect(cells(SELVBESTEMMELSE)).to_have_text(["–", "335.000"])
    expect(cells(KVALITET)).to_have_text(["–", "–"])
    expect(table.get_by_text("(forskellig)")).to_have_count(2)  # only the two rows that differ
    screenshot(second, "conflict-page")

    from grants.models import AllocationLine

    lines = {
        line.row.label: line.amount
        for line in AllocationLine.objects.select_related("row").filter(
            statement=get_statement("183", 2016), row__table=1
        )
    }
    assert lines["Livskvalitet"] == 1152000  # the first save is kept
    assert lines["Selvbestemmelse"] is None  # the second is not saved

    # The first editor, reloading, still sees their own value and not the refused one.
    first.reload()
    expect(amount_input(first, LIVSKVALITET)).to_have_value("1.152.000")
    expect(amount_input(first, SELVBESTEMMELSE)).to_have_value("")


ANSKAFFELSER = "Tabel 2 – Anskaffelser"
ADMINISTRATION_T2 = "Tabel 2 – Udarbejdelse af værdighedspolitik, dialog og administration mv."


def test_on_a_phone_the_balances_stay_beside_the_buttons(browser, live_server, ishoj, screenshot):
    """At 390 × 844, typing in the last row of Tabel 2 keeps both tables' balances and the
    buttons in view; Enter in a field saves the draft (never "Start fra sidste år"); remarks
    computed for the shown figures say they may be stale once anything is typed."""
    context = browser.new_context(locale="da-DK", viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, live_server, *ISHOJ)
    page.goto(edit_url(live_server))
    last = amount_input(page, ADMINISTRATION_T2)
    last.scroll_into_view_if_needed()
    last.fill("10.000")
    mini = page.locator("#balance-mini-2")
    expect(mini).to_have_text("Tabel 2: mangler 2.834.000 kr.")
    box, viewport = mini.bounding_box(), page.viewport_size
    assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], box
    indsend = page.get_by_role("button", name="Indsend", exact=True)
    button = indsend.bounding_box()
    assert button["y"] + button["height"] <= viewport["height"], button
    screenshot(page, "entry-form-390-typing")
    # Enter saves the draft.
    last.press("Enter")
    expect(page.locator("ul.messages")).to_contain_text("Kladden er gemt.")
    expect(amount_input(page, ADMINISTRATION_T2)).to_have_value("10.000")
    # A saved purchase without specification gives a remark; typing marks it as possibly stale.
    amount_input(page, ANSKAFFELSER).fill("5.000")
    page.get_by_role("button", name="Gem kladde", exact=True).last.click()
    expect(page.locator("#warnings")).to_contain_text("uden specifikation")
    expect(page.locator("#warnings .stale-note")).to_be_hidden()
    amount_input(page, ANSKAFFELSER).fill("6.000")
    expect(page.locator("#warnings .stale-note")).to_be_visible()
    context.close()
