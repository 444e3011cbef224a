"""/initiatives/: filters and search, sorting and pages that keep the filters, a fixed number
of queries, and downloads of the filtered table with the same rows as the page."""

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from budgets.models import BudgetProposal
from grants.models import Initiative, InitiativeAmount, Municipality
from tests.committee.helpers import grow_tenfold, read_table, table_rows

ISHOJ_2016 = {
    "Udvidelse af klippekortsordningen til hjemmehjælpsmodtagere",
    "Udvidelse af det eksisterende aktivitetscenter for borgere med anden etnisk baggrund",
    "Ældres netværk – etablering af sorggrupper mv.",
    "Afprøvning og ibrugtagning af nye velfærdsteknologiske løsninger",
    "Kompetenceudvikling mv. og nye initiativer som følge af værdighedspolitikken og "
    "plejehjemsanalysen",
}
ISHOJ_AELDRE = {
    "Hverdagstræning i eget hjem",
    "Ældres Netværk",
    "Særlig indsats der styrker den sociale dimension i plejen",
}


def page(client, reader, query: str = "") -> str:
    client.force_login(reader)
    response = client.get(f"/initiatives/{query}")
    assert response.status_code == 200
    return response.content.decode()


def titles(html: str) -> list[str]:
    return [row[0] for row in table_rows(html, "initiatives-table") if len(row) > 1]


def test_search_finds_the_evening_shift(client, reader):
    html = page(client, reader, "?q=aftenvagt")
    rows = table_rows(html, "initiatives-table")
    assert [(r[0], r[1]) for r in rows] == [("Løft af aftenvagten", "Lyngby-Taarbæk")]
    assert "1 indsats matcher." in html


def test_search_looks_in_descriptions_and_every_word_must_match(client, reader):
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    word = evening.description.split()[2]
    assert evening.title in titles(page(client, reader, f"?q={word}"))
    assert titles(page(client, reader, "?q=aftenvagt+ICURA")) == []


def test_municipality_183_lists_both_programmes(client, reader):
    html = page(client, reader, "?municipality=183")
    rows = table_rows(html, "initiatives-table")
    assert {r[0] for r in rows} == ISHOJ_2016 | ISHOJ_AELDRE
    programmes = sorted(r[3] for r in rows)
    assert programmes.count("Værdighedsmilliarden") == 5
    assert programmes.count("Ældremilliarden") == 3
    assert {r[1] for r in rows} == {"Ishøj"}


def test_year_and_municipality_gives_ishojs_five_of_2016(client, reader):
    html = page(client, reader, "?year=2016&municipality=183")
    assert set(titles(html)) == ISHOJ_2016
    # With their 2016 amounts, and "og fremover" where the source says so.
    rows = {r[0]: r[5] for r in table_rows(html, "initiatives-table")}
    assert rows["Udvidelse af klippekortsordningen til hjemmehjælpsmodtagere"] == (
        "2016: 335.000 2017 og fremover: 670.000"
    )


def test_year_filter_counts_og_fremover_amounts(client, reader):
    # 2018: no amount given for the year, but "2017 og fremover" covers it.
    found = set(titles(page(client, reader, "?year=2018")))
    assert ISHOJ_2016 <= found
    assert "Icura – Velfærdsteknologisk træningsindsats" in found
    assert "Løft af aftenvagten" not in found  # 2019 only
    assert not ISHOJ_AELDRE & found  # 2015 only


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?focus_area=ensomhed&municipality=183", 1),  # Ældres Netværk (seed 004)
        ("?programme=aeldre", 3),
        ("?source=003", 10),
        ("?source=002", 5),
    ],
)
def test_other_filters(client, reader, query, expected):
    assert len(titles(page(client, reader, query))) == expected


def test_an_unknown_filter_value_is_named_not_ignored_silently(client, reader):
    html = page(client, reader, "?municipality=999")
    assert 'class="field-error"' in html


def test_unknown_amounts_are_shown_as_unknown_not_zero(client, reader):
    rows = {
        r[0]: r[5] for r in table_rows(page(client, reader, "?q=Musikterapi"), "initiatives-table")
    }
    assert rows == {"Musikterapi": "ukendt"}


def test_sorting_and_pages_keep_the_filters(client, reader):
    html = page(client, reader, "?municipality=183&sort=-title&per_page=3")
    table = read_table(html, "initiatives-table")
    shown = titles(html)
    assert shown == sorted(ISHOJ_2016 | ISHOJ_AELDRE, reverse=True)[:3]
    sort_links = [parse_qs(urlsplit(h).query) for h in table.links if "sort=" in h]
    assert sort_links, "the column headers link to a sort order"
    for query in sort_links:
        assert query["municipality"] == ["183"]
        assert "page" not in query  # a new order starts on page 1
    pages = [parse_qs(urlsplit(href).query) for href in _hrefs(html, 'aria-label="Sider"')]
    assert pages
    for query in pages:
        assert query["municipality"] == ["183"] and query["sort"] == ["-title"]
    second = page(client, reader, "?municipality=183&sort=-title&per_page=3&page=2")
    assert titles(second) == sorted(ISHOJ_2016 | ISHOJ_AELDRE, reverse=True)[3:6]


def _hrefs(html: str, marker: str) -> list[str]:
    start = html.index(marker)
    end = html.index("</nav>", start)
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html[start:end])]


def test_sorting_by_municipality_descending(client, reader):
    rows = table_rows(page(client, reader, "?sort=-municipality&per_page=200"), "initiatives-table")
    names = [r[1] for r in rows]
    assert names == sorted(names, reverse=True)
    assert names[0] == "Odder"


def test_the_header_says_how_the_table_is_sorted(client, reader):
    html = page(client, reader, "?sort=-title")
    assert 'aria-sort="descending"' in html
    assert html.count("aria-sort=") == 1


def count_queries(client, url: str) -> int:
    """The queries a page costs when it is built (not served from the page cache). The same with
    the cache on (emptied here) and off (DummyCache builds every page), so it holds in both of
    tests/committee/conftest.py's modes."""
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


LIST_URLS = [
    "/initiatives/",
    "/initiatives/?per_page=100",
    "/initiatives/?municipality=183&year=2016&q=a&sort=-focus_area",
    "/initiatives/export.xlsx",
    "/initiatives/export.csv?programme=vaerdighed",
    "/proposals/",
    "/proposals/?per_page=100&year=2021&sort=-activity_area",
    "/proposals/?status=sendt_i_hoering&sort=status",
    "/proposals/export.xlsx?status=sendt_i_hoering",
    "/proposals/export.csv",
    # The other committee pages too: their figures are sums in the database, not loops.
    "/",
    "/years/vaerdighed/2018/compare/?sort=-livskvalitet",
    "/municipalities/173/",
]


def test_list_pages_take_a_fixed_number_of_queries_as_data_grows_tenfold(client, reader):
    client.force_login(reader)
    client.get("/")  # session and caches warm
    before = {url: count_queries(client, url) for url in LIST_URLS}
    initiatives = Initiative.objects.count()
    grow_tenfold()
    assert Initiative.objects.count() == 10 * initiatives
    after = {url: count_queries(client, url) for url in LIST_URLS}
    assert after == before
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    assert count_queries(client, f"/initiatives/{evening.pk}/") <= 12
    proposal = BudgetProposal.objects.get(code="80BR_SSU")
    assert count_queries(client, f"/proposals/{proposal.pk}/") <= 12
    assert max(before.values()) <= 16


def download(client, reader, fmt: str, query: str):
    client.force_login(reader)
    response = client.get(f"/initiatives/export.{fmt}{query}")
    assert response.status_code == 200
    assert f'filename="indsatser.{fmt}"' in response["Content-Disposition"]
    return response


def xlsx_rows(content: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def comparable(page_row: list[str]) -> tuple:
    """Title, municipality, focus area, programme and amounts as the page shows them."""
    return (page_row[0], page_row[1], page_row[2], page_row[3], page_row[5].replace(";", ""))


def exported(row: list) -> tuple:
    return (row[0], row[1], row[3], row[4], " ".join(str(row[6]).replace(";", "").split()))


@pytest.mark.parametrize("fmt, read", [("xlsx", xlsx_rows), ("csv", csv_rows)])
def test_the_download_has_every_row_of_the_filtered_table_in_the_pages_order(
    client, reader, fmt, read
):
    query = "?municipality=183&sort=-title&per_page=5"
    on_pages = table_rows(page(client, reader, query), "initiatives-table")
    on_pages += table_rows(page(client, reader, query + "&page=2"), "initiatives-table")
    assert len(on_pages) == 8
    rows = read(download(client, reader, fmt, query).content)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Indsats", "Kommune", "Kommunekode"]
    assert [exported(r) for r in body] == [comparable(r) for r in on_pages]


def test_the_xlsx_has_amounts_as_numbers_in_their_years_and_unknown_as_empty(client, reader):
    rows = xlsx_rows(download(client, reader, "xlsx", "?municipality=173&q=aftenvagt").content)
    header, (evening,) = rows[0], rows[1:]
    assert evening[header.index("2019 (kr.)")] == 4_795_000
    assert evening[2] == "173"
    assert evening[-1].endswith(
        f"/initiatives/{Initiative.objects.get(title='Løft af aftenvagten').pk}/"
    )
    rows = xlsx_rows(download(client, reader, "xlsx", "?q=Musikterapi").content)
    assert rows[1][6] == "ukendt"
    ws = load_workbook(io.BytesIO(download(client, reader, "xlsx", "").content)).active
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
    assert ws["A1"].value == "Indsats" and ws.column_dimensions["A"].width == pytest.approx(
        48, abs=1
    )


def test_user_text_stays_text_in_both_downloads(client, reader):
    hostile = Initiative.objects.create(
        key="formel",
        municipality=Municipality.objects.get(code="183"),
        title='=HYPERLINK("http://example.com","klik")',
        description="",
    )
    InitiativeAmount.objects.create(initiative=hostile, year=2016, amount=1000)
    wb = load_workbook(io.BytesIO(download(client, reader, "xlsx", "?q=HYPERLINK").content))
    cell = wb.active["A2"]
    assert cell.value == hostile.title and cell.data_type == "s"
    rows = csv_rows(download(client, reader, "csv", "?q=HYPERLINK").content)
    assert rows[1][0] == "'" + hostile.title


def test_an_unknown_filter_value_matches_nothing(client, reader):
    html = page(client, reader, "?municipality=999")
    assert titles(html) == []
    assert "Ingen indsatser matcher filtrene." in html


def test_long_searches_are_refused_with_a_message_not_run(client, reader):
    """A 2.000-word q took 10 s a page on PostgreSQL, and 3.000 words answered 500 on SQLite."""
    client.force_login(reader)
    words = " ".join(f"ord{n}" for n in range(3000))
    for url in ("/initiatives/", "/proposals/"):
        response = client.get(url, {"q": words})
        assert response.status_code == 200
        assert "højst have 200 tegn" in response.content.decode()
        response = client.get(url, {"q": " ".join(["a"] * 11)})
        assert "Søgningen må højst have 10 ord; den har 11." in response.content.decode()
    for fmt in ("xlsx", "csv"):
        response = client.get(f"/initiatives/export.{fmt}", {"q": words})
        assert response.status_code == 400
        assert "højst have 200 tegn" in response.content.decode()
    # A normal search still works.
    assert "Løft af aftenvagten" in client.get("/initiatives/", {"q": "aftenvagt"}).content.decode()
