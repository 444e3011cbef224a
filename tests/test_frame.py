"""The frame around every page: titles that end "– Tilskudsregnskab", the favicon, the footer with
its contact line and the accessibility statement, the language switch on the login page, the
messages by type, and our own 403, 404 and CSRF pages (in the reader's language, with the
header and a way back)."""

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import Client

from tests.conftest import audit_size, get_statement

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def title(html: str) -> str:
    return TITLE.search(html).group(1).strip()


def assert_framed(html: str) -> None:
    """Our header (brand and main menu) and our footer (contact, accessibility statement)."""
    assert '<header class="site-header' in html and 'aria-label="Hovedmenu"' in html
    footer = html.split('<footer class="site-footer', 1)[1]
    assert "Kontakt: din kommunes økonomiafdeling" in footer
    assert '<a href="/tilgaengelighed/">Tilgængelighedserklæring</a>' in footer


# --- Titles ---------------------------------------------------------------------------------------

READER_PAGES = [
    "/",
    "/municipalities/173/",
    "/statements/173/vaerdighed/2018/",
    "/statements/173/vaerdighed/2018/history/",
    "/initiatives/",
    "/proposals/",
    "/years/vaerdighed/2018/compare/",
]
FINANCE_PAGES = [
    "/statements/183/vaerdighed/2016/edit/",
    "/statements/183/vaerdighed/2016/import/",
    "/grants/new/",
    "/initiatives/new/",
]
LYNGBY_PAGES = ["/statements/173/vaerdighed/2018/accounts/"]
PUBLIC_PAGES = [
    "/accounts/login/",
    "/public/",
    "/public/statements/173/vaerdighed/2018/",
    "/public/statements/173/vaerdighed/2018/print/",
    "/tilgaengelighed/",
]


def test_every_page_title_ends_with_the_products_name(client, reader, ishoj, lyngby):
    pages = [(None, path) for path in PUBLIC_PAGES]
    pages += [(reader, path) for path in READER_PAGES]
    pages += [(ishoj, path) for path in FINANCE_PAGES]
    pages += [(lyngby, path) for path in LYNGBY_PAGES]
    for user, path in pages:
        client.logout()
        if user:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200, path
        text = title(response.content.decode())
        assert text.endswith(" – Tilskudsregnskab"), (path, text)
        assert text != " – Tilskudsregnskab" and "–  –" not in text, (path, text)


def test_the_english_title_ends_with_the_english_name(client, reader):
    client.force_login(reader)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert title(client.get("/").content.decode()) == "Overview – Grant ledger"


def test_the_admin_is_named_as_the_product(client, administrator):
    client.force_login(administrator)
    html = client.get("/admin/").content.decode()
    assert title(html).endswith(" – Tilskudsregnskab")
    assert "Tilskudsregnskab – administration" in html


# --- Favicon, footer, accessibility statement -----------------------------------------------------


def test_the_favicon_answers_without_login(client, seed):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg"), "static/favicon.svg"
    html = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


def test_every_page_has_the_footer(client, reader):
    assert_framed(client.get("/accounts/login/").content.decode())
    client.force_login(reader)
    for path in READER_PAGES:
        assert_framed(client.get(path).content.decode())


def test_the_accessibility_statement_is_public_and_says_what_is_tested(client, seed):
    response = client.get("/tilgaengelighed/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_framed(html)
    assert "<h1>Tilgængelighedserklæring</h1>" in html
    assert "Erklæringen er udarbejdet den 1. december 2026." in html
    for fact in ("axe-core", "390 pixels", "Nu HTML Checker", "tastatur", "delvist WCAG 2.1"):
        assert fact in html, fact
    assert "Det, der ikke er godt nok" in html and "Diagrammerne" in html


# --- The language switch before logging in --------------------------------------------------------


def test_the_login_page_has_the_language_switch_and_it_works_without_login(client, seed):
    html = client.get("/accounts/login/").content.decode()
    form = re.search(r'<form method="post" action="/i18n/setlang/".*?</form>', html, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(0)
    assert '<input type="hidden" name="next" value="/accounts/login/">' in form.group(0)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html and "<h1>Sign in</h1>" in html


def test_the_language_switch_still_refuses_a_foreign_next_without_login(client, seed):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


# --- Messages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "level, css, word",
    [
        (constants.SUCCESS, "message-success", "Udført"),
        (constants.WARNING, "message-warning", "Advarsel"),
        (constants.ERROR, "message-error", "Fejl"),
        (constants.INFO, "message-info", "Information"),
    ],
)
def test_each_kind_of_message_has_its_style_icon_and_word(level, css, word):
    html = render_to_string(
        "includes/message.html", {"message": Message(level, "Kladden er gemt.")}
    )
    assert f'<li class="message {css}">' in html
    assert '<svg class="message-icon" aria-hidden="true"' in html
    assert f'<span class="visually-hidden">{word}: </span>Kladden er gemt.' in html


def test_a_saved_draft_says_so_as_a_success(client, ishoj):
    """A real message through the page: the entry form's save."""
    from tests.grants.test_edit import post_data

    client.force_login(ishoj)
    statement = get_statement("183", 2016)
    response = client.post(
        "/statements/183/vaerdighed/2016/edit/", post_data(statement, action="save"), follow=True
    )
    html = response.content.decode()
    assert '<li class="message message-success">' in html
    assert '<span class="visually-hidden">Udført: </span>' in html


# --- Error pages ----------------------------------------------------------------------------------


def test_a_committee_member_posting_to_the_entry_form_gets_our_danish_403(client, reader):
    client.force_login(reader)
    statement = get_statement("173", 2018)
    before = (audit_size(), statement.version)
    response = client.post("/statements/173/vaerdighed/2018/edit/", {"action": "save"})
    assert response.status_code == 403
    html = response.content.decode()
    assert_framed(html)
    assert title(html) == "Ingen adgang – Tilskudsregnskab"
    assert "<h1>Du har ikke adgang til dette</h1>" in html
    assert "Du er logget ind med rollen Udvalgsmedlem (læseadgang)" in html
    assert "ændres af kommunens økonomimedarbejdere" in html and "kræver en administrator" in html
    assert '<a href="/">Til forsiden</a>' in html
    statement.refresh_from_db()
    assert (audit_size(), statement.version) == before  # the refused post changed nothing


def test_the_403_page_in_english(client, reader):
    client.force_login(reader)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/grants/new/")
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="en">' in html and "<h1>You do not have access to this</h1>" in html
    assert "Committee member (read-only)" in html and ">To the front page</a>" in html


def test_a_page_that_does_not_exist_is_our_404(client, reader):
    client.force_login(reader)
    response = client.get("/findes-ikke/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_framed(html)
    assert title(html) == "Siden findes ikke – Tilskudsregnskab"
    assert "<h1>Siden findes ikke</h1>" in html and '<a href="/">Til forsiden</a>' in html


def test_another_municipalitys_draft_is_our_404(client, lyngby):
    client.force_login(lyngby)
    response = client.get("/statements/183/vaerdighed/2016/")
    assert response.status_code == 404
    assert "<h1>Siden findes ikke</h1>" in response.content.decode()


def test_the_404_without_login_is_ours_too(client, seed):
    response = client.get("/findes-ikke/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Siden findes ikke</h1>" in html and 'href="/accounts/login/"' in html


def test_a_refused_form_gets_our_csrf_page(seed):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert_framed(html)
    assert "<h1>Formularen kunne ikke sendes</h1>" in html and "Intet af det, du sendte" in html


def test_the_500_page_has_the_footer_and_no_database_query(rf, db, django_assert_num_queries):
    from grants.views import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and "Der skete en fejl hos os" in html
    assert '<a href="/tilgaengelighed/">Tilgængelighedserklæring</a>' in html


def test_the_500_page_falls_back_to_plain_words_when_it_cannot_render(rf, db, monkeypatch):
    """A broken error page (e.g. a static file missing from the manifest) must not raise again:
    the answer is still a 500 with plain Danish words."""
    import grants.views
    from grants.views import server_error

    def broken(*args, **kwargs):
        raise ValueError("Missing staticfiles manifest entry for 'favicon.svg'")

    monkeypatch.setattr(grants.views, "render_to_string", broken)
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Der opstod en fejl" in response.content.decode()
