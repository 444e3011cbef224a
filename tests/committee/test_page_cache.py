"""The page cache (grants/cache.py) as the committee's pages use it: the cache modes of
tests/committee/conftest.py really switch it, and cached content cannot use the user, the session
or a CSRF token, so every committee page renders for every persona."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern

from budgets.models import BudgetProposal
from committee.urls import urlpatterns
from grants.cache import render_page
from grants.models import Initiative


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_cache_mode_switches_the_cache_the_pages_use(client, reader, cache_mode):
    assert isinstance(caches["default"], DummyCache) == (cache_mode == "no-cache")
    client.force_login(reader)
    url = "/municipalities/173/"
    built = queries(client, url)
    again = queries(client, url)
    if cache_mode == "cache":
        # Served from the cache: the session, the user with their membership, the data version.
        assert again == 3 < built
    else:
        assert again == built


# Every URL of committee/urls.py by name, with and without typical query strings: filters, sort
# orders, pages, a free-text search (never cached), values that match nothing or are invalid.
# {initiative} and {proposal} are filled in from the seed.
PAGES = {
    "home": ["/", "/?year=2018"],  # the overview, or "Dine opgaver" for finance staff
    "overview": [
        "/overview/",
        "/overview/?year=2016",
        "/overview/?year=2018",
        "/overview/?year=1999",
    ],
    "initiatives": [
        "/initiatives/",
        "/initiatives/?municipality=183&year=2016&sort=-title&per_page=3&page=2",
        "/initiatives/?focus_area=livskvalitet&programme=vaerdighed&sort=municipality",
        "/initiatives/?q=aftenvagt",
        "/initiatives/?municipality=999",
    ],
    "initiative_export_xlsx": ["/initiatives/export.xlsx", "/initiatives/export.xlsx?year=2016"],
    "initiative_export_csv": ["/initiatives/export.csv", "/initiatives/export.csv?q=klippekort"],
    "initiative": ["/initiatives/{initiative}/", "/initiatives/{initiative}/?ref=overview"],
    "municipality": ["/municipalities/173/", "/municipalities/183/", "/municipalities/101/"],
    "year_compare": [
        "/years/vaerdighed/2018/compare/",
        "/years/vaerdighed/2018/compare/?sort=-livskvalitet",
        "/years/vaerdighed/2016/compare/",
    ],
    "proposals": [
        "/proposals/",
        "/proposals/?year=2021&type=effektivisering&sort=-code&per_page=5&page=2",
        "/proposals/?q=klippekort",
        "/proposals/?committee=nonsense",
        "/proposals/?status=undtaget_fra_hoering",
        "/proposals/?status=nonsense",
    ],
    "proposal_export_xlsx": ["/proposals/export.xlsx", "/proposals/export.xlsx?status=vedtaget"],
    "proposal_export_csv": ["/proposals/export.csv", "/proposals/export.csv?q=klippekort"],
    "proposal": ["/proposals/{proposal}/"],
}


def test_every_committee_url_is_in_the_list():
    names = {p.name for p in urlpatterns if isinstance(p, URLPattern)}
    assert set(PAGES) == names, "add the new page to PAGES"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_committee_page_renders_for_every_persona(
    client, reader, lyngby, ishoj, administrator, name
):
    """A template that used `user`, `perms` or `csrf_token` in cached content would raise here
    (grants.cache.NotInCachedContent), for some persona or query string at least."""
    values = {
        "initiative": Initiative.objects.get(key="lyngby-loeft-af-aftenvagt").pk,
        "proposal": BudgetProposal.objects.get(code="80BR_SSU").pk,
    }
    for user in (reader, lyngby, ishoj, administrator):
        client.force_login(user)
        for url in PAGES[name]:
            response = client.get(url.format(**values))
            assert response.status_code == 200, (user.username, url)
            if response["Content-Type"].startswith("text/html"):
                # The page around the cached content is this user's own.
                assert f"<span>{user.username}" in response.content.decode(), (user, url)


@pytest.fixture
def probe(settings, tmp_path):
    """Writes a page template whose cached content is `snippet` into a template directory of
    its own; returns its name."""
    backend = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**backend, "DIRS": [*backend["DIRS"], tmp_path]}]

    def write(snippet: str) -> str:
        (tmp_path / "probe.html").write_text(
            '{% extends base_template|default:"base.html" %}{% block title %}Prøve{% endblock %}'
            "{% block content %}<p>[" + snippet + "]</p>{% endblock %}",
            encoding="utf-8",
        )
        return "probe.html"

    return write


@pytest.mark.parametrize(
    "snippet, name",
    [
        ("{{ user }}", "user"),
        ("{{ user.username }}", "user"),
        ("{% if user.is_authenticated %}ja{% endif %}", "user"),
        ("{% csrf_token %}", "csrf_token"),
        ("{{ csrf_token }}", "csrf_token"),
        ("{% if perms.grants %}ja{% endif %}", "perms"),
    ],
)
def test_cached_content_that_uses_the_user_or_a_csrf_token_fails_loudly(
    rf, reader, probe, snippet, name
):
    request = rf.get("/probe/")
    request.user = reader
    with pytest.raises(ImproperlyConfigured, match=f"must not use '{name}'"):
        render_page(request, probe(snippet), lambda content: {})


@pytest.mark.parametrize(
    "snippet",
    [
        # grants.cache.ContentRequest refuses everything but the path, the query string and
        # the reader's scope: the user, the session, cookies and headers.
        "{{ request.user.username }}",
        "{{ request.session.session_key }}",
        "{{ request.COOKIES }}",
        "{{ request.META.REMOTE_ADDR }}",
    ],
)
def test_cached_content_that_uses_the_requests_user_fails_loudly(rf, reader, probe, snippet):
    request = rf.get("/probe/")
    request.user = reader
    with pytest.raises(ImproperlyConfigured):
        render_page(request, probe(snippet), lambda content: {})


def test_the_probe_renders_when_it_uses_only_its_context(rf, reader, probe):
    """The control: the same page, reading what its view passes, renders (cached or not)."""
    request = rf.get("/probe/")
    request.user = reader
    html = render_page(request, probe("{{ greeting }}"), lambda content: {"greeting": "Hej"})
    assert "<p>[Hej]</p>" in html.content.decode()
    assert "<title>Prøve – Tilskudsregnskab</title>" in html.content.decode()
