"""The entry form through Django's test client: save, submit, refusals, conflict, prefill."""

import re

from django.test import Client

from grants.models import AuditChange, AuditEvent, Statement
from grants.services import StatementValues, save_statement
from tests.conftest import audit_size, get_statement
from tests.grants.test_services import ISHOJ_T1, ISHOJ_T2, db_snapshot, row_ids

EDIT = "/statements/183/vaerdighed/2016/edit/"
REVIEW = "/statements/183/vaerdighed/2016/review/"


def post_data(statement, *, t2_shortfall=0, confirm=True, action="save", fmt="{:,}") -> dict:
    ids = row_ids(statement)
    data = {
        "version": statement.version,
        "grant": "2.844.000",
        "box1": "Fem indsatser.",
        "action": action,
    }
    for (table, code), pk in ids.items():
        amounts = ISHOJ_T1 if table == 1 else ISHOJ_T2
        amount = amounts.get(code)
        if table == 2 and code == "loen":
            amount -= t2_shortfall
        data[f"amount-{pk}"] = "" if amount is None else fmt.format(amount).replace(",", ".")
    if confirm:
        data["box2_confirmed"] = "on"
    return data


def test_edit_page_names_each_input_by_table_and_row(client, ishoj):
    client.force_login(ishoj)
    html = client.get(EDIT).content.decode()
    assert 'aria-label="Tabel 1 – Livskvalitet"' in html
    assert 'aria-label="Tabel 2 – Lønudgifter (mere personale mhp. flere varme hænder)"' in html
    assert 'aria-label="Tabel 2 – Andet: specifikation"' in html
    assert 'aria-label="Tabel 2 – Anskaffelser: specifikation"' in html
    assert "Mangler at fordele: 2.844.000 kr." in html
    assert ">Gem kladde<" in html and ">Indsend<" in html


def test_save_draft_accepts_every_danish_format(client, ishoj):
    client.force_login(ishoj)
    s = get_statement("183", 2016)
    data = post_data(s)
    ids = row_ids(s)
    data[f"amount-{ids[(1, 'livskvalitet')]}"] = "1152000"
    data[f"amount-{ids[(1, 'kvalitet')]}"] = "1 357 000"
    response = client.post(EDIT, data)
    assert response.status_code == 302 and response["Location"] == EDIT
    s = get_statement("183", 2016)
    amounts = {(line.row.table, line.row.code): line.amount for line in s.lines.all()}
    assert amounts[(1, "livskvalitet")] == 1_152_000 and amounts[(1, "kvalitet")] == 1_357_000
    assert amounts[(1, "mad")] is None  # left empty: unknown, not 0
    assert s.status == Statement.Status.DRAFT
    html = client.get(EDIT).content.decode()
    assert "Kladden er gemt." in html
    assert "Fordelt: tabellen summerer til tilskuddet." in html


def test_bad_amount_names_the_field_and_changes_nothing(client, ishoj):
    client.force_login(ishoj)
    s = get_statement("183", 2016)
    before = db_snapshot(s)
    data = post_data(s)
    pk = row_ids(s)[(1, "selvbestemmelse")]
    data[f"amount-{pk}"] = "12,50"
    data[f"amount-{row_ids(s)[(2, 'loen')]}"] = "abc"
    response = client.post(EDIT, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tabel 1 – Selvbestemmelse: Beløbet skal være hele kroner uden øre." in html
    assert (
        "Tabel 2 – Lønudgifter (mere personale mhp. flere varme hænder): &#x27;abc&#x27; er "
        "ikke et beløb"
    ) in html
    assert f'href="#id_amount-{pk}"' in html
    assert "Intet er gemt. Ret fejlene nedenfor, og gem igen." in html  # said at the top
    assert db_snapshot(s) == before


def test_submit_short_table_saves_draft_and_names_the_difference(client, ishoj):
    client.force_login(ishoj)
    s = get_statement("183", 2016)
    response = client.post(EDIT, post_data(s, t2_shortfall=12_000, action="submit"))
    assert response.status_code == 400
    html = response.content.decode()
    first_t2 = row_ids(s)[(2, "loen")]
    assert re.search(rf'<a href="#id_amount-{first_t2}">Tabel 2 mangler 12.000 kr.</a>', html)
    assert "Kladden er gemt, men redegørelsen kan ikke indsendes endnu." in html
    assert "Intet er gemt" not in html  # it was saved
    assert get_statement("183", 2016).status == Statement.Status.DRAFT

    s = get_statement("183", 2016)
    response = client.post(EDIT, post_data(s, action="submit"))
    # "Indsend" saves and leads to the review page; it does not submit by itself.
    assert response.status_code == 302 and response["Location"] == REVIEW
    assert get_statement("183", 2016).status == Statement.Status.DRAFT
    s = get_statement("183", 2016)
    review = client.get(REVIEW).content.decode()
    assert "Bekræft og indsend" in review and "Hvad sker der nu?" in review
    assert "11.280.000" not in review and "2.844.000" in review
    response = client.post(REVIEW, {"version": s.version})
    assert (
        response.status_code == 302 and response["Location"] == "/statements/183/vaerdighed/2016/"
    )
    s = get_statement("183", 2016)
    assert s.is_submitted and s.submitted_by == ishoj
    page = client.get(response["Location"]).content.decode()
    assert "Næste skridt: kommunalbestyrelsen (byrådet) godkender den" in page


def submit(client, statement) -> None:
    """Through the entry form's "Indsend" and the review page's confirmation."""
    assert client.post(EDIT, post_data(statement, action="submit")).status_code == 302
    current = get_statement("183", 2016)
    assert client.post(REVIEW, {"version": current.version}).status_code == 302


def test_no_path_submits_without_the_review_page(client, ishoj):
    client.force_login(ishoj)
    s = get_statement("183", 2016)
    # A crafted POST to the entry form with every submit-like field: saved, not submitted.
    client.post(EDIT, {**post_data(s, action="submit"), "confirm": "on", "submit": "1"})
    assert get_statement("183", 2016).status == Statement.Status.DRAFT
    # The review page refuses an old version (someone saved meanwhile) and submits nothing.
    stale = get_statement("183", 2016).version - 1
    response = client.post(REVIEW, {"version": stale})
    assert response.status_code == 302 and get_statement("183", 2016).status == "draft"


def test_an_empty_boks_1_is_refused_by_name(client, ishoj):
    client.force_login(ishoj)
    s = get_statement("183", 2016)
    response = client.post(EDIT, {**post_data(s, action="submit"), "box1": "  "})
    assert response.status_code == 400
    assert "Boks 1: Beskrivelsen af, hvordan udmøntningen understøtter" in response.content.decode()
    review = client.get(REVIEW).content.decode()
    assert "Redegørelsen kan ikke indsendes endnu" in review and "Bekræft og indsend" not in review
    assert client.post(REVIEW, {"version": get_statement("183", 2016).version}).status_code == 400
    assert get_statement("183", 2016).status == Statement.Status.DRAFT


def test_submitted_statement_refuses_writes(client, ishoj, administrator):
    client.force_login(ishoj)
    submit(client, get_statement("183", 2016))
    s = get_statement("183", 2016)
    before, audit = db_snapshot(s), audit_size()
    html = client.get(EDIT).content.decode()
    assert "Redegørelsen er indsendt og kan ikke ændres." in html
    assert 'name="amount-' not in html
    response = client.post(EDIT, {**post_data(s), "box1": "ændret"})
    assert response.status_code == 409
    assert db_snapshot(s) == before and audit_size() == audit

    # Only an administrator reopens, and only with a reason.
    assert (
        client.post("/statements/183/vaerdighed/2016/reopen/", {"reason": "x"}).status_code == 403
    )
    client.force_login(administrator)
    assert client.post("/statements/183/vaerdighed/2016/reopen/", {"reason": ""}).status_code == 400
    assert db_snapshot(s) == before
    response = client.post("/statements/183/vaerdighed/2016/reopen/", {"reason": "Ny fordeling"})
    assert response.status_code == 302
    assert get_statement("183", 2016).status == Statement.Status.DRAFT
    assert AuditEvent.objects.filter(action="reopen", reason="Ny fordeling").count() == 1


def test_stale_save_gets_the_conflict_page_and_overwrites_nothing(client, ishoj):
    client.force_login(ishoj)
    s = get_statement("183", 2016)
    mine = post_data(s)  # opened at version 1
    # Meanwhile a colleague saves.
    ids = row_ids(s)
    save_statement(
        statement=s,
        acting_user=ishoj,
        expected_version=1,
        values=StatementValues(amounts={ids[(1, "livskvalitet")]: 999_000}),
    )
    before, audit = db_snapshot(s), audit_size()
    response = client.post(EDIT, mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Redegørelsen er ændret af en anden" in html
    assert "999.000" in html and "1.152.000" in html
    assert db_snapshot(s) == before and audit_size() == audit
    # "Overskriv med mine ændringer" posts the user's values with the new version.
    keep = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    assert keep["version"] == "2"
    assert client.post(EDIT, {**keep, "action": "save"}).status_code == 302
    line = get_statement("183", 2016).lines.get(row__table=1, row__code="livskvalitet")
    assert line.amount == 1_152_000


def test_start_from_last_year_fills_but_does_not_save(client, lyngby):
    from grants.models import GrantYear, Municipality
    from grants.services import register_grant

    register_grant(
        municipality=Municipality.objects.get(code="173"),
        grant_year=GrantYear.objects.get(programme__slug="vaerdighed", year=2019),
        amount=11_500_000,
        acting_user=lyngby,
    )
    client.force_login(lyngby)
    s = get_statement("173", 2019)
    before = db_snapshot(s)
    html = client.get("/statements/173/vaerdighed/2019/edit/").content.decode()
    assert "Start fra sidste år" in html
    data = {**post_data(s), "grant": "11.500.000", "action": "prefill"}
    response = client.post("/statements/173/vaerdighed/2019/edit/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Intet er gemt endnu" in html
    balances = re.findall(r'<p class="balance"[^>]*>(.*?)</p>', html)
    assert balances == ["Fordelt: tabellen summerer til tilskuddet."] * 2
    # Each row scaled by 11.500.000 / 11.280.000 rounded down, the remainder on the largest row.
    pk = row_ids(s)[(1, "selvbestemmelse")]
    assert f'value="{520_000 * 11_500_000 // 11_280_000:,}"'.replace(",", ".") in html
    assert f'id="id_amount-{pk}"' in html
    assert db_snapshot(s) == before


def test_register_grant(client, lyngby):
    from grants.models import GrantYear

    client.force_login(lyngby)
    y2017 = GrantYear.objects.get(programme__slug="vaerdighed", year=2017)
    y2018 = GrantYear.objects.get(programme__slug="vaerdighed", year=2018)
    html = client.get("/grants/new/").content.decode()
    # The years offered are programme-years the municipality has no grant for (2018 it has).
    assert f'value="{y2018.pk}"' not in html
    assert f'<option value="{y2017.pk}">Værdighedsmilliarden 2017</option>' in html
    assert "Klippekort til beboere på plejecentre 2017</option>" in html  # two pools, one year
    response = client.post("/grants/new/", {"grant_year": y2017.pk, "amount": "abc"})
    assert response.status_code == 400 and "Tilskud (kr.): &#x27;abc&#x27; er ikke et beløb" in (
        response.content.decode()
    )
    assert not Statement.objects.filter(grant__grant_year=y2017, grant__municipality__code="173")
    response = client.post("/grants/new/", {"grant_year": y2017.pk, "amount": "2.900.000"})
    assert (
        response.status_code == 302
        and response["Location"] == "/statements/173/vaerdighed/2017/edit/"
    )
    assert get_statement("173", 2017).grant.amount == 2_900_000
    response = client.post("/grants/new/", {"grant_year": y2017.pk, "amount": "1"})
    assert response.status_code == 400
    assert get_statement("173", 2017).grant.amount == 2_900_000


def test_history_lists_changes(client, ishoj, ishoj_reader):
    client.force_login(ishoj)
    s = get_statement("183", 2016)
    client.post(EDIT, post_data(s))
    client.force_login(ishoj_reader)  # a draft's history is its municipality's own
    html = client.get("/statements/183/vaerdighed/2016/history/").content.decode()
    assert "Tabel 1 – Livskvalitet" in html and "1.152.000" in html and "ishoj" in html
    assert " kl. " in html  # "1. december 2026 kl. 13.56"


def test_a_long_text_is_shown_as_a_word_diff_in_one_entry_per_save(client, ishoj):
    client.force_login(ishoj)
    s = get_statement("183", 2016)
    client.post(EDIT, {**post_data(s), "box1": "Værdighed for alle ældre.\n\nMad og måltider."})
    s = get_statement("183", 2016)
    client.post(EDIT, {**post_data(s), "box1": "Værdighed for alle borgere.\n\nMad og måltider."})
    html = client.get("/statements/183/vaerdighed/2016/history/").content.decode()
    assert html.count('class="history-event"') == 3  # the seed's, and one per save
    assert "Vis ændringen (43 tegn før, 45 efter)" in html
    assert re.search(r'<del><span class="visually-hidden">\[slettet: </span>ældre\.\s', html)
    assert re.search(r'<ins><span class="visually-hidden">\[tilføjet: </span>borgere\.\s', html)
    assert "Mad og måltider." in html and "statements.json" not in html


def test_the_history_reads_in_each_readers_language(client, ishoj, ishoj_reader):
    """The trail stores codes, rows and integers; its text is rendered for whoever reads it."""
    client.force_login(ishoj)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    s = get_statement("183", 2016)
    response = client.post(EDIT, post_data(s))
    assert response.status_code == 302
    stored = set(AuditChange.objects.filter(event__statement=s).values_list("field", flat=True))
    assert {"amount", "box1", "box2"} <= stored
    # The page itself speaks English to this user, and so does the history.
    assert "Save draft" in client.get(EDIT).content.decode()
    english = client.get("/statements/183/vaerdighed/2016/history/").content.decode()
    assert "Table 1 – Livskvalitet" in english and "Box 1" in english
    other = Client()  # a reader who kept Danish
    other.force_login(ishoj_reader)
    danish = other.get("/statements/183/vaerdighed/2016/history/").content.decode()
    assert "Tabel 1 – Livskvalitet" in danish and "Table 1" not in danish


def test_a_control_character_is_refused_at_input_naming_the_field(client, ishoj):
    from grants.models import Initiative

    client.force_login(ishoj)
    s = get_statement("183", 2016)
    before, audit = db_snapshot(s), audit_size()
    response = client.post(EDIT, {**post_data(s), "box1": "Før\x01efter"})
    assert response.status_code == 400
    assert "Teksten indeholder et kontroltegn (U+0001) ved tegn nr. 4." in response.content.decode()
    assert db_snapshot(s) == before and audit_size() == audit
    response = client.post("/initiatives/new/", {"title": "Klokke\x07spil", "description": ""})
    assert response.status_code == 400
    assert "Titel: Teksten indeholder et kontroltegn (U+0007)" in response.content.decode()
    assert not Initiative.objects.filter(title__startswith="Klokke").exists()


def test_the_saved_drafts_form_is_built_once_per_data_version_and_never_stale(client, ishoj):
    """A GET of the entry page serves the saved draft's form from the cache (three queries: the
    session, the user, the data version); a save by anyone advances the version, so the next
    GET shows it, with the version the next save must carry."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(ishoj)
    client.get(EDIT)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(EDIT).content.decode()
    assert len(queries) == 3, [q["sql"] for q in queries]
    assert 'name="version" value="1"' in html and 'value="999.000"' not in html
    s = get_statement("183", 2016)
    save_statement(  # a colleague's save, not through this client
        statement=s,
        acting_user=ishoj,
        expected_version=1,
        values=StatementValues(amounts={row_ids(s)[(1, "livskvalitet")]: 999_000}),
    )
    html = client.get(EDIT).content.decode()
    assert 'name="version" value="2"' in html and 'value="999.000"' in html
    assert "Mangler at fordele: 1.845.000 kr." in html  # the balance, from the saved figures


def test_a_cached_draft_form_is_shown_to_no_one_else(client, ishoj, lyngby, ishoj_reader):
    """The cache holds the draft's form once its own staff opened it; the access check comes
    first, so another municipality's staff (404, as if it were not there) and a committee
    member of the same municipality (403, they only read) are refused as before."""
    client.force_login(ishoj)
    assert client.get(EDIT).status_code == 200
    client.force_login(lyngby)
    response = client.get(EDIT)
    assert response.status_code == 404 and b"amount-" not in response.content
    client.force_login(ishoj_reader)
    response = client.get(EDIT)
    assert response.status_code == 403 and b"amount-" not in response.content
