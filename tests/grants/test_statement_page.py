import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grants.models import StatementStep
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
        # the data version; the page's content is cached whole under the data version and the
        # reader's scope, a submitted statement's and a draft's alike.
        ("/statements/173/vaerdighed/2018/", 3),
        ("/statements/183/vaerdighed/2016/", 3),
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


def test_the_cached_page_keeps_each_readers_answer(client, ishoj, ishoj_reader, lyngby):
    """The page's content is cached under the data version and the reader's scope: Ishøj's draft,
    once its own committee member has it cached, is still a 404 to another municipality's staff,
    and Ishøj's own finance staff get their primary action, which readers never get."""
    draft = "/statements/183/vaerdighed/2016/"
    client.force_login(ishoj_reader)
    page = client.get(draft).content.decode()
    assert "Fortsæt kladden" not in page and "<h1>" in page
    client.force_login(lyngby)
    assert client.get(draft).status_code == 404
    client.force_login(ishoj)
    assert (
        'href="/statements/183/vaerdighed/2016/edit/">Fortsæt kladden'
        in client.get(draft).content.decode()
    )


def test_finance_staff_each_get_their_own_next_move(client, lyngby, lyngby2):
    """Four eyes: who entered the accounts waits for a colleague, the colleague approves; one
    cached page each, never the other's."""
    from grants.services import record_step, save_accounts

    s = get_statement("173", 2018)
    day = datetime.date(2018, 10, 1)
    record_step(statement=s, kind=StatementStep.Kind.COUNCIL_APPROVAL, date=day, acting_user=lyngby)
    record_step(statement=s, kind=StatementStep.Kind.SENT, date=day, acting_user=lyngby)
    s = get_statement("173", 2018)
    actuals = {line.row_id: line.amount or 0 for line in s.lines.all()}
    save_accounts(statement=s, actuals=actuals, acting_user=lyngby, expected_version=s.version)
    url = "/statements/173/vaerdighed/2018/"
    for _ in range(2):  # the second time from the cache
        client.force_login(lyngby)
        mine = client.get(url).content.decode()
        assert "Regnskabet venter på, at en kollega godkender det." in mine
        assert ">Godkend regnskabet<" not in mine
        client.force_login(lyngby2)
        theirs = client.get(url).content.decode()
        assert ">Godkend regnskabet<" in theirs and "venter på, at en kollega" not in theirs


def test_an_administrator_gets_the_steps_reopen_forms_with_a_fresh_csrf_token(
    client, lyngby, administrator
):
    from grants.services import record_step

    s = get_statement("173", 2018)
    day = datetime.date(2018, 10, 1)
    record_step(statement=s, kind=StatementStep.Kind.COUNCIL_APPROVAL, date=day, acting_user=lyngby)
    client.force_login(administrator)
    url = "/statements/173/vaerdighed/2018/"
    first, second = (client.get(url).content.decode() for _ in range(2))
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert "/steps/council_approval/reopen/" in second
    assert token.findall(first) and token.findall(first) != token.findall(second)
    client.force_login(lyngby)
    assert "reopen/" not in client.get(url).content.decode()


def test_breadcrumbs_say_where_a_statement_page_sits(client, lyngby):
    client.force_login(lyngby)
    crumbs = re.compile(
        r'<nav class="breadcrumbs no-print" aria-label="Du er her">(.*?)</nav>', re.S
    )
    page = crumbs.search(client.get("/statements/173/vaerdighed/2018/").content.decode())[1]
    assert '<a href="/">Forside</a>' in page
    assert '<a href="/municipalities/173/">Lyngby-Taarbæk</a>' in page
    assert '<span aria-current="page">Værdighedsmilliarden 2018</span>' in page
    history = client.get("/statements/173/vaerdighed/2018/history/").content.decode()
    trail = crumbs.search(history)[1]
    assert '<a href="/statements/173/vaerdighed/2018/">Værdighedsmilliarden 2018</a>' in trail
    assert trail.endswith('<span aria-current="page">Historik</span></li></ol>\n')


def test_a_statement_reopened_between_the_check_and_the_build_is_decided_again(
    client, reader, administrator, monkeypatch
):
    """A request reads the data version V, then the statement (from the cache under V, still
    submitted); meanwhile an administrator reopens it. Its body is built from the database, which
    now holds a draft: the page is decided again on the statement as it is, a 404 to a reader
    of another municipality, never the draft's body under the old decision."""
    from grants import cache
    from grants.services import reopen_statement

    client.force_login(reader)
    url = "/statements/173/vaerdighed/2018/"
    old_version = cache.data_version()
    statement = get_statement("173", 2018)
    cache.statement_at("173", "vaerdighed", 2018, version=old_version)  # submitted, under V
    reopen_statement(statement=statement, acting_user=administrator, reason="Rettelse")
    # The request read V before the reopening committed (the page's key, then the statement).
    versions = iter([old_version, old_version])
    real = cache.data_version
    monkeypatch.setattr(cache, "data_version", lambda: next(versions, None) or real())
    response = client.get(url)
    assert response.status_code == 404


def test_every_cache_key_names_the_code_that_rendered_it(settings, tmp_path):
    """After a deploy no server serves what the old code rendered, even from a Redis that
    outlived it: the keys carry a digest of the templates, catalogues, static files and code."""
    from grants import cache

    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<p>old</p>")
    settings.BASE_DIR = tmp_path
    before = cache.release.__wrapped__()
    assert cache.release.__wrapped__() == before
    page.write_text("<p>new</p>")
    assert cache.release.__wrapped__() != before


def test_a_renamed_user_is_shown_by_the_new_name_at_once(client, reader, lyngby):
    """Usernames are shown in cached content ("registreret af …"): renaming a user advances the
    data version (a trigger on auth_user's username), logging in does not."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import update_last_login

    from grants import cache
    from grants.services import record_step

    statement = get_statement("173", 2018)
    record_step(
        statement=statement,
        kind=StatementStep.Kind.COUNCIL_APPROVAL,
        date=datetime.date(2018, 10, 1),
        acting_user=lyngby,
    )
    client.force_login(reader)
    url = "/statements/173/vaerdighed/2018/"
    assert "registreret af lyngby," in client.get(url).content.decode()
    version = cache.data_version()
    update_last_login(None, lyngby)
    assert cache.data_version() == version
    get_user_model().objects.filter(pk=lyngby.pk).update(username="lyngby-oekonomi")
    assert cache.data_version() != version
    assert "registreret af lyngby-oekonomi," in client.get(url).content.decode()


def test_a_query_string_does_not_make_a_page_of_its_own(client, reader):
    """The statement page reads no query string: whatever is appended, it is one cache entry,
    so no client can fill the cache with copies of it."""
    client.force_login(reader)
    url = "/statements/173/vaerdighed/2018/"
    client.get(url)
    for query in ("?a=1", "?b=2&c=3", "?utm_source=nyhedsbrev"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url + query).status_code == 200
        assert len(queries) == 3, query  # the session, the user, the data version: cached
