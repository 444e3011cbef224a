"""Every page's query count stays the same as the data grows tenfold (issue: scale, speed)."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.synthetic import create_synthetic
from budgets.models import BudgetProposal
from grants.models import GrantYear, Municipality
from grants.services import register_grant

PAGES = [
    "/",  # lyngby's landing, "Dine opgaver"
    "/tasks/",
    "/overview/",
    "/overview/?year=2018",
    "/overview/?programme=aeldre",
    "/statements/173/vaerdighed/2018/",
    "/statements/173/vaerdighed/2018/history/",
    "/statements/173/vaerdighed/2018/accounts/",
    "/statements/173/vaerdighed/2019/",
    "/statements/173/vaerdighed/2019/edit/",
    "/statements/173/vaerdighed/2018/export.xlsx",
    "/years/vaerdighed/2018/export.xlsx",
    "/years/vaerdighed/2018/export.csv",
    "/initiatives/?municipality=173&focus_area=livskvalitet",
    "/initiatives/?q=indsats",
    "/initiatives/export.csv?municipality=173",
    "/municipalities/173/",
    "/municipalities/183/",
    "/statements/173/vaerdighed/2019/review/",
    "/public/",
    "/public/statements/173/vaerdighed/2018/",
    "/years/vaerdighed/2018/compare/",
    "/proposals/",
    "/proposals/?status=sendt_i_hoering&sort=status",
    "/proposals/export.csv?status=undtaget_fra_hoering",
    "/proposals/{proposal}/",
]


def counts(client) -> dict[str, int]:
    cache.clear()
    out = {}
    proposal = BudgetProposal.objects.get(code="80BR_SSU").pk
    for url in (page.format(proposal=proposal) for page in PAGES):
        assert client.get(url).status_code == 200, url  # warm: caches filled as in service
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        out[url] = len(queries)
    return out


def test_query_counts_are_the_same_at_1x_and_10x(client, lyngby):
    register_grant(
        municipality=Municipality.objects.get(code="173"),
        grant_year=GrantYear.objects.get(programme__slug="vaerdighed", year=2019),
        amount=11_500_000,
        acting_user=lyngby,
    )
    create_synthetic(1)
    client.force_login(lyngby)
    at_1x = counts(client)
    create_synthetic(10)  # 40 grant years, 150 initiatives per municipality on top
    at_10x = counts(client)
    assert at_10x == at_1x
    # And the budgets themselves stay small (a regression guard, not a target).
    assert max(at_1x.values()) <= 15, at_1x


def test_read_pages_are_cached_until_a_write_changes_the_data(client, reader, lyngby):
    """Committee pages are served from the cache (three queries: the session, the user with
    their membership, the data version) until any write changes the data version; then they
    show the change."""
    from grants.models import Initiative
    from grants.services import YearAmounts, save_initiative

    client.force_login(reader)
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    url = f"/initiatives/{evening.pk}/"
    assert "4.795.000" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) == 3, [q["sql"] for q in queries]
    save_initiative(initiative=evening, amounts={2019: YearAmounts(4_900_000)}, acting_user=lyngby)
    html = client.get(url).content.decode()
    assert "4.900.000" in html  # (4.795.000 still appears: the proposals cut it so)
    # The cached content is the same page: title, header and the user's own chrome.
    assert "<title>Løft af aftenvagten – Tilskudsregnskab</title>" in html and "udvalg" in html
