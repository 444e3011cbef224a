"""Every kind of page on a phone held upright (390 × 844) and on a large screen (1440 × 900), as
the person who uses it: the page never scrolls sideways (wide tables and charts scroll in frames
of their own), axe-core finds nothing serious or critical, and a screenshot of each is saved to
artifacts/screenshots/<page>-<width>.png. Then the details a small screen depends on: the menu
button, the entry form's fields, readable charts, amounts kept whole, the sticky first column;
and on the large screen the comparison's whole table with its headings."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import describe, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
HEADER_MAX = 64  # px: the header at 390 px wide, with the menu folded away

# (screenshot name, who (a persona of tests/conftest.py, None: not logged in), path, status)
PAGES = [
    ("overview", "udvalg", "/", 200),
    ("tasks", "ishoj", "/", 200),
    ("tasks-lyngby", "lyngby", "/tasks/", 200),
    ("review", "ishoj", "/statements/183/vaerdighed/2016/review/", 200),
    ("step", "lyngby", "/statements/173/vaerdighed/2018/steps/council_approval/", 200),
    ("grant-new", "lyngby", "/grants/new/", 200),
    ("import", "ishoj", "/statements/183/vaerdighed/2016/import/", 200),
    ("municipality", "udvalg", "/municipalities/173/", 200),
    ("statement", "udvalg", "/statements/173/vaerdighed/2018/", 200),
    ("statement-draft", "ishoj", "/statements/183/vaerdighed/2016/", 200),
    ("entry-form", "ishoj", "/statements/183/vaerdighed/2016/edit/", 200),
    ("accounts", "lyngby", "/statements/173/vaerdighed/2018/accounts/", 200),
    ("history", "udvalg", "/statements/173/vaerdighed/2018/history/", 200),
    ("initiatives", "udvalg", "/initiatives/", 200),
    ("initiative", "udvalg", "/initiatives/{evening}/", 200),
    ("proposals", "udvalg", "/proposals/", 200),
    ("proposal", "udvalg", "/proposals/{proposal}/", 200),
    ("comparison", "udvalg", "/years/vaerdighed/2018/compare/", 200),
    ("public", None, "/public/", 200),
    ("public-statement", None, "/public/statements/173/vaerdighed/2018/", 200),
    ("login", None, "/accounts/login/", 200),
    ("403", "udvalg", "/grants/new/", 403),
    ("404", "udvalg", "/findes-ikke/", 404),
    ("accessibility", None, "/tilgaengelighed/", 200),
]


@pytest.fixture
def people(lyngby, ishoj, reader):
    """The three personas, by username (their password is "pw-" + username)."""
    return {"lyngby", "ishoj", "udvalg"}


def ids() -> dict[str, int]:
    from budgets.models import BudgetProposal
    from grants.models import Initiative

    return {
        "evening": Initiative.objects.get(key="lyngby-loeft-af-aftenvagt").pk,
        "proposal": BudgetProposal.objects.get(code="80BR_SSU").pk,
    }


def open_as(browser, live_server, who: str | None, viewport: dict):
    """A fresh browser window of this size, logged in as `who` (or not at all)."""
    context = browser.new_context(viewport=viewport, locale="da-DK")
    page = context.new_page()
    if who:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Brugernavn").fill(who)
        page.get_by_label("Adgangskode").fill(f"pw-{who}")
        page.get_by_role("main").get_by_role("button", name="Log ind").click()
        page.wait_for_url(f"{live_server.url}/")
    return page


def page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1440"])
@pytest.mark.parametrize("name, who, path, status", PAGES, ids=[name for name, *_ in PAGES])
def test_every_page_fits_the_screen_and_passes_axe(
    browser, live_server, people, screenshot, viewport, name, who, path, status
):
    page = open_as(browser, live_server, who, viewport)
    response = page.goto(f"{live_server.url}{path.format(**ids())}")
    assert response.status == status, path
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("banner")).to_be_visible()  # the header, on error pages too
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="Tilgængelighedserklæring")).to_be_visible()
    assert page.title().endswith(" – Tilskudsregnskab"), page.title()
    scroll_width, width = page_width(page)
    assert scroll_width <= width, f"{path} scrolls sideways at {width} px: {scroll_width} px wide"
    screenshot(page, f"{name}-{viewport['width']}")
    violations = serious_violations(page)
    assert not violations, f"axe-core on {path} at {width} px:\n" + describe(violations)
    page.context.close()


def test_the_menu_button_on_a_phone(browser, live_server, people):
    """The header fits in 64 px; the menu opens and closes with the keyboard, and says so."""
    page = open_as(browser, live_server, "udvalg", PHONE)
    header = page.get_by_role("banner")
    assert header.bounding_box()["height"] <= HEADER_MAX
    button = header.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Hovedmenu")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()

    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the front page link
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Overblik")).to_be_focused()
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    expect(nav).to_be_hidden()

    button.click()  # and with a tap: every link there, then the language switch
    nav.get_by_role("link", name="Indsatser").click()
    page.wait_for_url(f"{live_server.url}/initiatives/")
    expect(page.get_by_role("heading", name="Indsatser", level=1)).to_be_visible()
    page.context.close()


def test_the_menu_without_javascript_is_always_open(browser, live_server, people):
    context = browser.new_context(viewport=PHONE, locale="da-DK", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("navigation", name="Hovedmenu")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("group", name="Sprog")).to_be_visible()
    context.close()


def test_on_a_large_screen_the_menu_is_open_and_the_button_gone(browser, live_server, people):
    page = open_as(browser, live_server, "udvalg", DESKTOP)
    expect(page.get_by_role("navigation", name="Hovedmenu")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    page.context.close()


def test_the_entry_form_on_a_phone(browser, live_server, people):
    """Label above field; every amount field whole on the screen and wide enough for a grant."""
    page = open_as(browser, live_server, "ishoj", PHONE)
    page.goto(f"{live_server.url}/statements/183/vaerdighed/2016/edit/")
    fields = page.locator("input.amount-input")
    assert fields.count() == 13
    for field in fields.all():
        box = field.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert box["width"] >= 200, box
        label = page.locator(f"label[for='{field.get_attribute('id')}']").first.bounding_box()
        assert label["y"] + label["height"] <= box["y"] + 1, "the label stands above its field"
    field = page.get_by_role("textbox", name="Tabel 1 – Livskvalitet", exact=True)
    field.fill("1.152.000")
    expect(page.locator("#balance-1")).to_have_text("Mangler at fordele: 1.692.000 kr.")
    page.context.close()


def test_charts_are_readable_on_a_phone(browser, live_server, people):
    """Every chart's text is drawn at 12 px or more; the chart's frame scrolls, not the page."""
    page = open_as(browser, live_server, "udvalg", PHONE)
    for path in ("/", f"/initiatives/{ids()['evening']}/", "/years/vaerdighed/2018/compare/"):
        page.goto(f"{live_server.url}{path}")
        smallest = page.evaluate(
            """() => Math.min(...[...document.querySelectorAll('svg.chart')].flatMap(svg => {
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                return [...svg.querySelectorAll('text')].map(
                    t => parseFloat(getComputedStyle(t).fontSize) * scale);
            }))"""
        )
        assert smallest >= 12, f"chart text at {smallest:.1f} px on {path}"
        assert page_width(page)[0] <= PHONE["width"]
    page.context.close()


def test_history_amounts_stay_whole_on_a_phone(browser, live_server, people):
    page = open_as(browser, live_server, "udvalg", PHONE)
    page.goto(f"{live_server.url}/statements/173/vaerdighed/2018/history/")
    lines = page.evaluate(
        """() => [...document.querySelectorAll('td.amount')].filter(td => td.textContent.trim())
            .map(td => { const range = document.createRange(); range.selectNodeContents(td);
                return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; })"""
    )
    assert lines and max(lines) == 1, "an amount broken over two lines"
    page.context.close()


def test_a_wide_table_scrolls_in_its_frame_with_the_first_column_in_view(
    browser, live_server, people
):
    page = open_as(browser, live_server, "udvalg", PHONE)
    page.goto(f"{live_server.url}/years/vaerdighed/2018/compare/")
    frame = page.get_by_role("region", name="Andel pr. område af tabel 1 i 2018")
    assert frame.get_attribute("tabindex") == "0"
    frame.focus()  # a keyboard scrolls it too
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=frame.element_handle())
    frame.evaluate("el => { el.scrollLeft = 300; }")
    first = page.get_by_role("rowheader", name="Lyngby-Taarbæk")
    left = frame.evaluate("el => el.getBoundingClientRect().left")
    assert abs(first.bounding_box()["x"] - left) <= 1, "the first column stays in view"
    page.context.close()


def test_the_comparison_on_a_large_screen(browser, live_server, people):
    """The whole table shows without scrolling, each heading on at most four lines."""
    page = open_as(browser, live_server, "udvalg", DESKTOP)
    page.goto(f"{live_server.url}/years/vaerdighed/2018/compare/")
    frame = page.get_by_role("region", name="Andel pr. område af tabel 1 i 2018")
    assert frame.evaluate("el => el.scrollWidth <= el.clientWidth"), "the table is clipped"
    # The line boxes of each heading's text (a link's fragments, one per line).
    lines = page.evaluate(
        """() => [...document.querySelectorAll('#compare-table thead th a')]
            .map(a => a.getClientRects().length)"""
    )
    assert max(lines) <= 4, lines
    page.context.close()


def test_the_login_page_switches_language(browser, live_server, people):
    """Not logged in yet: the language switch is there, and the login page follows it."""
    page = open_as(browser, live_server, None, PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Menu").click()  # on a phone it is behind the menu button
    page.get_by_role("group", name="Sprog").get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="Accessibility statement")).to_be_visible()
    page.context.close()
