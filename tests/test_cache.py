"""The cache cannot be stale: every key carries the data version, which the database advances in
the same transaction as every write, whatever path the write takes (issue 13's findings)."""

from django.apps import apps
from django.core.cache import cache
from django.db import connection

from budgets.models import BudgetProposal
from grants.cache import data_version
from grants.dbtriggers import NO_DATA_VERSION
from grants.models import DataVersion, GrantYear, Municipality, Statement
from tests.conftest import get_statement


def data_tables() -> set[str]:
    tables = set()
    for app in ("grants", "budgets"):
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            tables.add(model._meta.db_table)
    return tables - NO_DATA_VERSION  # listed independently of grants.dbtriggers.data_tables


def triggered_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE '%%_data_version'"
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE '%_data_version_%'"
            )
        return {name for (name,) in cursor.fetchall()}


def test_every_data_table_advances_the_data_version(db):
    """By construction: a table without the trigger is a table whose writes could be served
    stale. A new table needs grants.dbtriggers.install_data_version in its migration."""
    assert data_tables() - triggered_tables() == set()


def test_any_write_advances_it_even_raw_sql(db):
    before = data_version()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE budgets_proposalamount SET amount = amount - 1 WHERE id IN "
            "(SELECT id FROM budgets_proposalamount LIMIT 1)"
        )
    assert data_version() > before
    middle = data_version()
    cache.clear()  # the cache emptied (or culled, or restarted) does not reset it
    assert data_version() == middle


def test_an_emptied_database_starts_the_version_from_the_clock(db):
    old = data_version()
    DataVersion.objects.all().delete()
    assert data_version() > old  # never restarts at 1 or 2, where old keys could be


def warm(client, url: str) -> str:
    client.get(url)
    return client.get(url).content.decode()


def test_admin_bulk_delete_is_seen_at_once(client, administrator):
    client.force_login(administrator)
    assert "80BR" in warm(client, "/proposals/")
    ids = list(BudgetProposal.objects.filter(code__startswith="80").values_list("pk", flat=True))
    response = client.post(
        "/admin/budgets/budgetproposal/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not BudgetProposal.objects.filter(pk__in=ids).exists()
    assert "80BR" not in client.get("/proposals/").content.decode()


def test_a_renamed_municipality_is_seen_at_once_in_pages_and_workbooks(client, reader):
    client.force_login(reader)
    assert "Lyngby-Taarbæk Kommune" in warm(client, "/statements/173/vaerdighed/2018/")
    client.get("/statements/173/vaerdighed/2018/export.xlsx")
    # Renamed behind the admin's back (the admin keeps it read-only while a statement of it is
    # submitted): by the database's own trigger, the next page is fresh all the same.
    Municipality.objects.filter(code="173").update(name="Lyngby-Nyt-Navn")
    assert (
        "Lyngby-Nyt-Navn Kommune" in client.get("/statements/173/vaerdighed/2018/").content.decode()
    )
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(
        BytesIO(client.get("/statements/173/vaerdighed/2018/export.xlsx").content)
    ).active
    assert ws["B3"].value == "Lyngby-Nyt-Navn Kommune"


def test_query_strings_cannot_fill_the_cache(client, reader):
    client.force_login(reader)
    cache.clear()
    client.get("/initiatives/", {"q": "aftenvagt"})  # a free-text search: rendered afresh
    client.get("/initiatives/", {"x" * 30: "1"})  # an odd parameter: rendered afresh
    client.get("/initiatives/", {"municipality": "173", "sort": "title"})  # cached
    keys = list(cache._cache)  # LocMemCache, in the test settings
    pages = [k for k in keys if ":page:" in k]
    assert len(pages) == 1, pages


def test_the_admin_keeps_a_submitted_statements_form_and_name(client, administrator):
    """Moving a 2018 form row from Tabel 1 to Tabel 2 in the admin left Lyngby-Taarbæk's
    submitted statement at 2.401.000 / 20.159.000 against 11.280.000, unaudited."""
    client.force_login(administrator)
    grant_year = GrantYear.objects.get(programme__slug="vaerdighed", year=2018)
    row = grant_year.rows.get(table=1, code="livskvalitet")
    page = client.get(f"/admin/grants/grantyear/{grant_year.pk}/change/").content.decode()
    assert "Årets skema kan ikke ændres" in page
    assert 'name="rows-0-table"' not in page  # the rows are shown, not editable
    s = get_statement("173", 2018)
    before = (s.version, [(line.row_id, line.amount) for line in s.lines.all()])
    client.post(
        f"/admin/grants/grantyear/{grant_year.pk}/change/",
        {
            "programme": grant_year.programme_id,
            "year": 2018,
            "rows-TOTAL_FORMS": "1",
            "rows-INITIAL_FORMS": "1",
            "rows-0-id": row.pk,
            "rows-0-grant_year": grant_year.pk,
            "rows-0-table": "2",
            "rows-0-position": row.position,
            "rows-0-code": row.code,
            "rows-0-label": row.label,
            "rows-0-kind": row.kind,
        },
    )
    row.refresh_from_db()
    assert row.table == 1
    s = get_statement("173", 2018)
    assert (s.version, [(line.row_id, line.amount) for line in s.lines.all()]) == before
    page = client.get(
        f"/admin/grants/municipality/{Municipality.objects.get(code='173').pk}/change/"
    ).content.decode()
    assert 'name="name"' not in page and 'name="code"' not in page
    # A municipality with nothing submitted keeps an editable name.
    other = Municipality.objects.get(code="101")
    assert (
        'name="name"'
        in client.get(f"/admin/grants/municipality/{other.pk}/change/").content.decode()
    )
    assert Statement.objects.filter(status="submitted").count() >= 1
