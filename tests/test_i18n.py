"""The English UI: Danish by default, English after the language switcher (Django's set_language
view and its cookie) or for a browser that asks only for English; the ministry's form stays Danish
on the form itself (its labels are data, never passed through gettext); the English catalogue is
complete and covers every string the templates and the Python code look up."""

import ast
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

from tests.conftest import get_statement
from tests.grants.test_edit import post_data
from tests.grants.test_services import row_ids
from tests.grants.test_statement_page import SEED_000_FIGURES, rows_of

BASE = Path(settings.BASE_DIR)
PO_PATH = BASE / "locale" / "en" / "LC_MESSAGES" / "django.po"
TEMPLATES = BASE / "templates"
PYTHON_SOURCES = [BASE / app for app in ("eldercare", "grants", "budgets", "committee", "public")]
SETLANG = "/i18n/setlang/"
LYNGBY_2018 = "/statements/173/vaerdighed/2018/"
ISHOJ_2016 = "/statements/183/vaerdighed/2016/"
FORM_TITLE_2018 = "Redegørelse for anvendelsen af midlerne til en mere værdig ældrepleje i 2018"


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def switch(client, language: str, next_url: str = "/"):
    response = client.post(SETLANG, {"language": language, "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    return response


@pytest.fixture
def english(client, reader):
    """A committee member who chose English with the switcher."""
    client.force_login(reader)
    switch(client, "en")
    return client


# --- Which language ---------------------------------------------------------------------------


def test_danish_is_the_default_without_a_preference(client, reader):
    client.force_login(reader)
    response = client.get("/")
    html = response.content.decode()
    assert html_lang(html) == "da" and response["Content-Language"] == "da"
    assert 'aria-label="Hovedmenu"' in html and ">Overblik</a>" in html
    assert "Overview" not in html


def test_a_danish_browser_gets_danish(client, reader):
    client.force_login(reader)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="da-DK,da;q=0.9,en-US;q=0.8,en;q=0.7")
    assert html_lang(html.content.decode()) == "da"


def test_an_english_browser_gets_danish_until_the_user_chooses_english(client, reader):
    """The browser's Accept-Language is not consulted (grants.middleware): Danish is the
    product's language until the user picks English with the switcher."""
    client.force_login(reader)
    english_browser = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
    assert html_lang(client.get("/", **english_browser).content.decode()) == "da"
    switch(client, "en")
    assert html_lang(client.get("/", **english_browser).content.decode()) == "en"
    switch(client, "da")
    assert html_lang(client.get("/", **english_browser).content.decode()) == "da"


def test_the_switcher_is_a_post_form_to_set_language_with_csrf_and_next(client, reader):
    client.force_login(reader)
    html = client.get("/initiatives/?municipality=183").content.decode()
    form = re.search(r'<form method="post" action="/i18n/setlang/".*?</form>', html, re.S)
    assert form, "no language switcher in the header"
    form = form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<input type="hidden" name="next" value="/initiatives/?municipality=183">' in form
    assert 'id="language-switch-label"' in form and ">Sprog<" in form
    assert re.search(
        r'<button type="submit" name="language" value="da" lang="da"[^>]*'
        r'aria-current="true">Dansk</button>',
        form,
    )
    assert re.search(r'<button type="submit" name="language" value="en" lang="en">English<', form)
    assert "<script" not in html.split("</header>")[0] and "style=" not in form


def test_switching_keeps_the_page_and_its_filters(client, reader):
    client.force_login(reader)
    switch(client, "en", "/initiatives/?municipality=183&year=2016")
    html = client.get("/initiatives/?municipality=183&year=2016").content.decode()
    assert "5 initiatives match." in html


def test_set_language_refuses_a_foreign_next(client, reader):
    client.force_login(reader)
    response = client.post(SETLANG, {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


# --- English pages --------------------------------------------------------------------------------


def test_overview_in_english(english):
    response = english.get("/")
    html = response.content.decode()
    assert html_lang(html) == "en" and response["Content-Language"] == "en"
    for text in (
        'aria-label="Main menu"',
        ">Overview</a>",
        ">Initiatives</a>",
        ">Budget proposals</a>",
        ">Sign out</button>",
        ">Skip to main content</a>",
        "<h1>Overview: Værdighedsmilliarden</h1>",
        "How far have the municipalities got?",
        "Submitted statements and drafts",
        ">Language<",
        "Committee member (read-only)",
    ):
        assert text in html, text
    # The chart's text alternative, from grants/charts.py through gettext.
    assert "One horizontal bar per grant year" in html
    for danish in ("Overblik", "Hovedmenu", "Log ud", "Indsendte redegørelser", "vandret søjle"):
        assert danish not in html, danish
    assert re.search(r'value="en" lang="en"[^>]*aria-current="true">English<', html)


def test_initiatives_list_in_english(english):
    html = english.get("/initiatives/?q=aftenvagt").content.decode()
    for text in (
        "<h1>Initiatives</h1>",
        "1 initiative matches.",
        "Download the whole filtered table:",
        "Spreadsheet (xlsx)",
        "Select a column heading to sort.",
        ">Clear filters</a>",
        ">Filter</button>",
        ">Focus area",
        "Search title and description",
    ):
        assert text in html, text
    # Data stays as it was entered.
    assert "Løft af aftenvagten" in html
    assert "Indsatser" not in html and "Filtrér" not in html


def test_statement_page_chrome_is_english_and_the_ministry_form_stays_danish(english):
    response = english.get(LYNGBY_2018)
    html = response.content.decode()
    assert html_lang(html) == "en"
    assert "Download as spreadsheet (xlsx)" in html and "Hent som regneark" not in html
    assert ">Print</button>" in html and ">History</a>" in html
    # The form: title, table titles, every row label and the form's fixed words, in Danish.
    assert f"<h1>{FORM_TITLE_2018}</h1>" in html
    assert "Tabel 1. Budget for 2018 fordelt på områder" in html
    assert "<dt>Kommune:</dt>" in html and "<dt>Tilskud:</dt>" in html
    rows = rows_of(html)
    for pair in SEED_000_FIGURES:
        assert pair in rows, pair
    for label in ("Livskvalitet", "Udmøntning i alt", "Samlet beløb"):
        assert f'<th scope="row">{label}</th>' in html, label
    # ...and says so to screen readers and translators: the form is Danish, our words in it not.
    assert '<article class="ministry-form" lang="da">' in html
    assert '<p class="submitted-note" lang="en">Submitted' in html


def test_the_ministry_form_needs_no_language_of_its_own_on_a_danish_page(client, reader):
    client.force_login(reader)
    html = client.get(LYNGBY_2018).content.decode()
    assert '<article class="ministry-form" lang="da">' in html
    assert '<p class="submitted-note">Indsendt' in html


def test_a_draft_statements_rule_messages_are_english(english, ishoj):
    english.force_login(ishoj)  # the language cookie stays with the browser
    html = english.get(ISHOJ_2016).content.decode()
    assert "Draft – not submitted" in html
    assert "Table 1 is DKK 2,844,000 short." in html
    assert "Tabel 1 mangler" not in html


def test_an_error_message_is_english(english, ishoj):
    english.force_login(ishoj)
    s = get_statement("183", 2016)
    data = post_data(s)
    data[f"amount-{row_ids(s)[(2, 'loen')]}"] = "abc"
    response = english.post(f"{ISHOJ_2016}edit/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There are problems to fix" in html
    assert "&#x27;abc&#x27; is not an amount. Enter whole kroner, e.g. 11.280.000." in html
    # The field is named by the form's own (Danish) row label.
    assert "Table 2 – Lønudgifter (mere personale mhp. flere varme hænder)" in html


def test_switching_back_to_danish(english):
    switch(english, "da", "/initiatives/")
    html = english.get("/initiatives/").content.decode()
    assert html_lang(html) == "da" and "<h1>Indsatser</h1>" in html


# --- The catalogue --------------------------------------------------------------------------------


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def placeholders(text: str) -> list[str]:
    """Python-format placeholders, escaped percent signs and HTML tags, in order of kind."""
    return sorted(re.findall(r"%\(\w+\)[sd]|%%|</?[a-z][^>]*>", text))


def test_the_catalogue_is_complete_with_no_fuzzy_or_obsolete_entries():
    po = catalogue()
    assert po.metadata.get("Language") == "en"
    assert po.metadata.get("Plural-Forms") == "nplurals=2; plural=(n != 1);"
    assert not po.metadata_is_fuzzy
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()]
    assert not po.obsolete_entries(), [e.msgid for e in po.obsolete_entries()]
    for entry in po:
        if entry.msgid_plural:
            assert set(entry.msgstr_plural) == {0, 1}, entry.msgid
            assert placeholders(entry.msgstr_plural[0]) == placeholders(entry.msgid), entry.msgid
            assert placeholders(entry.msgstr_plural[1]) == placeholders(entry.msgid_plural)
        else:
            assert placeholders(entry.msgstr) == placeholders(entry.msgid), entry.msgid


def template_msgids() -> set[str]:
    """Every msgid the templates look up at runtime: {% translate %}, {% blocktranslate %}
    (singular and plural, as Django builds them) and _("...") in filter arguments."""
    engine = engines["django"].engine
    found = set()
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        nodelist = engine.get_template(name).nodelist
        for node in nodelist.get_nodes_by_type(TranslateNode):
            literal = node.filter_expression.var.literal
            if literal is not None:
                found.add(str(literal))
        for node in nodelist.get_nodes_by_type(BlockTranslateNode):
            singular, _vars = node.render_token_list(node.singular)
            found.add(singular.strip() if node.trimmed else singular)
            if node.plural:
                plural, _vars = node.render_token_list(node.plural)
                found.add(plural.strip() if node.trimmed else plural)
        found.update(re.findall(r'\b_\("([^"]+)"\)', path.read_text(encoding="utf-8")))
    return found


def test_every_template_string_is_translated():
    po = catalogue()
    msgids = {e.msgid for e in po} | {e.msgid_plural for e in po if e.msgid_plural}
    wanted = template_msgids()
    assert {"Overblik", "Hent som regneark (xlsx)", "%(counter)s indsatser matcher."} <= wanted
    assert not sorted(wanted - msgids), "not in the catalogue; run `make messages`"


GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}


def python_msgids() -> set[str]:
    """The strings the Python code passes to gettext, as Python reads them (escapes decoded)."""
    found = set()
    for root in PYTHON_SOURCES:
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in GETTEXT_NAMES:
                    continue
                count = 2 if name.startswith("ngettext") else 1
                for arg in node.args[:count]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
    return found


def test_every_python_string_is_translated_as_python_looks_it_up():
    """Checks the runtime msgid, which is what gettext looks up. (xgettext 0.21 keeps a Python
    "\\u201d" escape as text in the msgid, so an extracted entry alone may never match.)"""
    po = catalogue()
    msgids = {e.msgid for e in po if e.translated()}
    msgids |= {e.msgid_plural for e in po if e.msgid_plural and e.translated()}
    wanted = python_msgids()
    assert {"Kommune", "Pulje og år", "Alle indsendte"} <= wanted
    assert not sorted(wanted - msgids), "not translated; run `make messages` and translate"


def test_the_catalogue_is_up_to_date_with_makemessages(tmp_path, monkeypatch, settings):
    """makemessages (GNU xgettext) on a copy of the sources into a scratch locale directory:
    every entry it extracts is in the committed catalogue."""
    if not shutil.which("xgettext"):
        pytest.skip("GNU gettext (xgettext) is not installed")
    for part in ("eldercare", "grants", "budgets", "committee", "public", "templates"):
        shutil.copytree(
            BASE / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "locale")
        )
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["en"], verbosity=0)
    extracted = polib.pofile(str(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    committed = {e.msgid for e in catalogue() if e.translated()}
    assert len(extracted) > 400
    missing = sorted(e.msgid for e in extracted if e.msgid not in committed)
    assert not missing, "not in the catalogue; run `make messages` and translate"


# --- One rule per language for numbers, amounts and dates (issue 12) --------------------------


def test_amounts_shares_and_dates_follow_the_language_except_on_the_form(client, english):
    html = english.get("/statements/173/vaerdighed/2018/").content.decode()
    # The ministry's form stays Danish; what the product says around it is English.
    assert re.search(r'<dd id="grant-amount">11\.280\.000</dd>', html)
    assert "DKK 11,280,000" in html  # (Boks 1, Danish text, may say "11.280.000 kr.")
    overview = english.get("/overview/?year=2018").content.decode()
    assert "78.7 %" in overview and "78,7 %" not in overview
    switch(english, "da")
    overview = english.get("/overview/?year=2018").content.decode()
    assert "78,7 %" in overview and "78.7 %" not in overview


def test_dates_are_written_the_way_each_language_writes_them():
    import datetime

    from django.utils import timezone, translation
    from django.utils.formats import date_format

    when = timezone.localtime(datetime.datetime(2026, 12, 1, 12, 56, tzinfo=datetime.UTC))
    with translation.override("da"):
        assert date_format(when, "DATETIME_FORMAT") == "1. december 2026 kl. 13.56"
    with translation.override("en"):
        assert date_format(when, "DATETIME_FORMAT") == "1 December 2026 13:56"
