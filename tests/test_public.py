"""Published statements are public (issue 11): without a login, for published statements only;
the form exactly as the logged-in page shows it, its workbook, a print view and open data; and
nothing else: no drafts, no unpublished statements, no history, no initiatives' notes."""

import csv
import io
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from grants.services import record_step
from tests.conftest import get_statement

LYNGBY = "/public/statements/173/vaerdighed/2018/"


@pytest.fixture
def anonymous(seed):
    return Client()


def test_the_published_lyngby_2018_statement_is_public(anonymous):
    index = anonymous.get("/public/")
    assert index.status_code == 200
    html = index.content.decode()
    assert "Værdighedsmilliarden 2018" in html
    assert 'href="/public/statements/173/vaerdighed/2018/"' in html
    page = anonymous.get(LYNGBY)
    assert page.status_code == 200 and "public" in page["Cache-Control"]
    html = page.content.decode()
    assert '<dd id="grant-amount">11.280.000</dd>' in html
    assert "Redegørelse for anvendelsen af midlerne til en mere værdig ældrepleje i 2018" in html
    assert "Offentliggjort" in html and "dato ukendt" in html  # the source gives no date
    # Nothing of the municipality's own: no history, no reconciliation with the initiatives,
    # no accounts, no who-recorded-what.
    for private in (
        "/history/",
        "Indsatserne afstemt med tilskuddet",
        "Budget og regnskab",
        "registreret af",
    ):
        assert private not in html, private


def test_its_workbook_print_view_and_open_data_are_public(anonymous):
    wb = load_workbook(BytesIO(anonymous.get(LYNGBY + "export.xlsx").content))
    assert wb.sheetnames == ["Redegørelse"]  # the form; never the accounts
    assert wb.active["B4"].value == 11_280_000
    printable = anonymous.get(LYNGBY + "print/").content.decode()
    assert "11.280.000" in printable and "site-header" not in printable
    text = anonymous.get("/public/vaerdighed/2018/data.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[0] for r in rows[1:-1]] == ["173"]  # published statements only
    assert rows[1][1:4] == ["Lyngby-Taarbæk", "11.280.000", "Indsendt"]
    xlsx = load_workbook(BytesIO(anonymous.get("/public/vaerdighed/2018/data.xlsx").content))
    assert xlsx.sheetnames == ["Oversigt", "173 Lyngby-Taarbæk"]


@pytest.mark.parametrize(
    "url",
    [
        "/public/statements/183/vaerdighed/2016/",  # a draft
        "/public/statements/183/vaerdighed/2016/export.xlsx",
        "/public/statements/183/vaerdighed/2016/print/",
        "/public/statements/183/aeldre/2015/",  # no form, never published
        "/public/statements/999/vaerdighed/2018/",
        "/public/vaerdighed/2016/data.csv",  # nothing published that year
        "/public/statements/173/vaerdighed/2018/history/",
        "/public/statements/173/vaerdighed/2018/accounts/",
    ],
)
def test_anything_not_published_is_404(anonymous, url):
    assert anonymous.get(url).status_code == 404


def test_a_submitted_statement_becomes_public_only_when_published(anonymous, ishoj, client):
    from tests.grants.test_edit import submit

    client.force_login(ishoj)
    submit(client, get_statement("183", 2016))
    url = "/public/statements/183/vaerdighed/2016/"
    assert anonymous.get(url).status_code == 404  # submitted, not published
    s = get_statement("183", 2016)
    import datetime

    day = datetime.date(2026, 11, 2)
    record_step(statement=s, kind="council_approval", date=day, body="Byrådet", acting_user=ishoj)
    record_step(statement=s, kind="sent", date=day, acting_user=ishoj)
    assert anonymous.get(url).status_code == 404
    record_step(statement=s, kind="published", date=day, acting_user=ishoj)
    page = anonymous.get(url)
    assert page.status_code == 200 and "2.844.000" in page.content.decode()
    assert url in anonymous.get("/public/").content.decode()
