"""A committee member reads Lyngby-Taarbæk's 2018 statement in Chromium and prints it."""

import pytest

from tests.browser.conftest import login
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def committee_member(seed):
    from grants.models import Membership

    make_user("udvalg", role=Membership.Role.READER)
    return "udvalg", "pw-udvalg"


def test_reader_logs_in_and_reads_the_statement(page, live_server, committee_member, screenshot):
    login(page, live_server, *committee_member)
    page.goto(f"{live_server.url}/statements/173/vaerdighed/2018/")
    form = page.locator("article.ministry-form")
    heading = "Redegørelse for anvendelsen af midlerne til en mere værdig ældrepleje i 2018"
    assert form.get_by_role("heading", level=1).inner_text() == heading
    table1 = page.get_by_role("table", name="Tabel 1. Budget for 2018 fordelt på områder")
    assert table1.get_by_role("row", name="Livskvalitet").inner_text().split() == [
        "Livskvalitet",
        "8.879.000",
    ]
    assert "11.280.000" in table1.get_by_role("row", name="Udmøntning i alt").inner_text()
    table2 = page.get_by_role("table", name="Tabel 2. Budget 2018 fordelt på udgifter")
    assert (
        "300.000"
        in table2.get_by_role(
            "row", name="Andet (licenser og indsatser rettet mod de pårørende)"
        ).inner_text()
    )
    screenshot(page, "statement-173-2018")

    # On paper: the print stylesheet drops the navigation and the toolbar.
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("link", name="Hent som regneark (xlsx)").is_visible()
    assert form.is_visible()
    screenshot(page, "statement-173-2018-print")


def test_draft_shows_what_is_left(page, live_server, ishoj_reader, screenshot):
    # A draft is read by its own municipality's committee member (others get a 404).
    login(page, live_server, "udvalg-ishoj", "pw-udvalg-ishoj")
    page.goto(f"{live_server.url}/statements/183/vaerdighed/2016/")
    panel = page.locator(".draft-panel")
    assert "Mangler at fordele: 2.844.000 kr." in panel.inner_text()
    screenshot(page, "statement-183-2016-draft")
