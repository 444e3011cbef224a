import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import get_statement

SEED_000_FIGURES = [
    ("Samlet beløb", "11.280.000"),
    ("Livskvalitet", "8.879.000"),
    ("Selvbestemmelse", "520.000"),
    ("Kvalitet, tværfaglighed og sammenhæng i plejen", "1.607.000"),
    ("Mad og ernæring", "0"),
    ("En værdig død", "64.000"),
    ("Andet (…)", "0"),
    ("Revision af værdighedspolitik, dialog og administration mv.", "210.000"),
    ("Udmøntning i alt", "11.280.000"),
    ("Lønudgifter (mere personale mhp. flere varme hænder)", "10.245.000"),
    ("Kompetenceudvikling af personale", "425.000"),
    ("Anskaffelser", "100.000"),
    ("Andet (licenser og indsatser rettet mod de pårørende)", "300.000"),
]


def rows_of(html: str) -> list[tuple[str, str]]:
    """(label, amount) of every table row of the form, as a reader sees them."""
    html = html.split('<article class="ministry-form" lang="da">')[1].split("</article>")[0]
    pairs = re.findall(
        r'<th scope="row">(.*?)</th>\s*<td class="amount">(.*?)</td>', html, flags=re.S
    )
    return [
        (re.sub(r"\s+", " ", label).strip(), re.sub(r"<.*?>", "", amount).strip())
        for label, amount in pairs
    ]


def test_anonymous_is_sent_to_login(client, seed):
    response = client.get("/statements/173/vaerdighed/2018/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/statements/173/vaerdighed/2018/")
    assert client.get("/statements/173/vaerdighed/2018/export.xlsx").status_code == 302
    assert client.get("/").status_code == 302


def test_lyngby_2018_page_shows_every_figure_of_seed_000(client, reader):
    client.force_login(reader)
    html = client.get("/statements/173/vaerdighed/2018/").content.decode()
    assert "Redegørelse for anvendelsen af midlerne til en mere værdig ældrepleje i 2018" in html
    assert "Lyngby-Taarbæk Kommune" in html
    assert '<dd id="grant-amount">11.280.000</dd>' in html
    rows = rows_of(html)
    for pair in SEED_000_FIGURES:
        assert pair in rows, pair
    assert rows.count(("Udmøntning i alt", "11.280.000")) == 2
    assert (
        rows.count(("Revision af værdighedspolitik, dialog og administration mv.", "210.000")) == 2
    )
    assert "Tabel 1. Budget for 2018 fordelt på områder" in html
    assert "Tabel 2. Budget 2018 fordelt på udgifter" in html
    assert "Specificer hvis posten ’Andet’ benyttes" in html
    assert "BOKS 2. Bekræftelse redegørelse" in html
    assert re.search(r'class="checkmark"[^>]*>X</div>', html)
    assert "Kladde" not in html


def test_ishoj_2016_draft_shows_what_is_left(client, ishoj_reader):
    client.force_login(ishoj_reader)
    html = client.get("/statements/183/vaerdighed/2016/").content.decode()
    assert "Kladde" in html
    assert "Tilskud:" in html and "2.844.000" in html
    assert ("Mangler at fordele", "2.844.000 kr.") in rows_of(html)
    assert "Tabel 2 mangler 2.844.000 kr." in html
    assert "Udarbejdelse af værdighedspolitik, dialog og administration mv." in html


def test_unknown_statement_is_404(client, reader):
    client.force_login(reader)
    assert client.get("/statements/999/vaerdighed/2018/").status_code == 404
    assert client.get("/statements/173/vaerdighed/2031/").status_code == 404


@pytest.mark.parametrize(
    "url, expected",
    [
        # the session (in the database without CACHE_URL), the user with their membership and
        # the data version; the statement itself and a submitted statement's body are read
        # once per data version and then served from the cache.
        ("/statements/173/vaerdighed/2018/", 3),
        # a draft's body is rendered afresh: the statement with its lines and their rows, and
        # the initiatives the programme funds with their amounts (the reconciliation).
        ("/statements/183/vaerdighed/2016/", 7),
    ],
)
def test_statement_page_runs_a_fixed_number_of_queries(client, ishoj_reader, url, expected):
    client.force_login(ishoj_reader)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) == expected, [q["sql"] for q in queries]


def test_submitted_page_body_is_fresh_after_a_change(client, lyngby, administrator):
    from grants.services import StatementValues, reopen_statement, save_statement

    client.force_login(lyngby)  # reads Lyngby-Taarbæk's statement, draft or not
    assert (
        "Ny tekst i boks 1" not in client.get("/statements/173/vaerdighed/2018/").content.decode()
    )
    statement = get_statement("173", 2018)
    reopen_statement(statement=statement, acting_user=administrator, reason="test")
    save_statement(
        statement=statement,
        acting_user=lyngby,
        expected_version=statement.version,
        values=StatementValues(box1="Ny tekst i boks 1"),
    )
    html = client.get("/statements/173/vaerdighed/2018/").content.decode()
    assert "Ny tekst i boks 1" in html and "Kladde" in html


def test_print_stylesheet_hides_navigation(client, reader):
    client.force_login(reader)
    html = client.get("/statements/173/vaerdighed/2018/").content.decode()
    assert 'class="site-header no-print"' in html
    from pathlib import Path

    css = Path("static/css/app.css").read_text()
    assert "@media print" in css and "size: A4" in css
