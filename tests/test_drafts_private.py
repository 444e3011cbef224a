"""Each municipality's drafts are its own (issue 11): a draft statement, draft accounts, their
history and their exports are read by that municipality's staff and administrators only; anyone
else gets a 404, exactly as for a write. Every URL × every role, with a marker in the drafts that
must never reach anyone else's page or file."""

import pytest
from django.test import Client

from grants.services import StatementValues, save_accounts, save_statement
from tests.conftest import get_statement, make_user

DRAFT_MARKER = "HEMMELIG-KLADDE-7731"
ACCOUNTS_MARKER = 7_731_731  # an actual amount in Lyngby-Taarbæk's draft accounts
ACCOUNTS_TEXT = "7.731.731"


@pytest.fixture
def roles(lyngby, ishoj, reader, ishoj_reader, administrator):
    lyngby_reader = make_user("udvalg-lyngby", role="reader", code="173")
    return {
        "anonymous": None,
        "lyngby": lyngby,
        "ishoj": ishoj,
        "udvalg": reader,
        "udvalg-ishoj": ishoj_reader,
        "udvalg-lyngby": lyngby_reader,
        "admin": administrator,
    }


@pytest.fixture
def drafts(ishoj, lyngby):
    draft = get_statement("183", 2016)
    save_statement(
        statement=draft,
        values=StatementValues(box1=DRAFT_MARKER),
        acting_user=ishoj,
        expected_version=draft.version,
    )
    submitted = get_statement("173", 2018)
    first = submitted.lines.first()
    save_accounts(
        statement=submitted,
        actuals={first.row_id: ACCOUNTS_MARKER},
        acting_user=lyngby,
        expected_version=submitted.version,
    )


ISHOJ = "/statements/183/vaerdighed/2016/"
LYNGBY = "/statements/173/vaerdighed/2018/"
# Who reads Ishøj's draft, and who Lyngby-Taarbæk's draft accounts.
OWN_ISHOJ = {"ishoj", "udvalg-ishoj", "admin"}
OWN_LYNGBY = {"lyngby", "udvalg-lyngby", "admin"}
DRAFT_PAGES = [ISHOJ, ISHOJ + "history/", ISHOJ + "export.xlsx"]
AGGREGATES = [
    "/",
    "/?year=2016",
    "/municipalities/183/",
    "/municipalities/173/",
    "/years/vaerdighed/2016/export.xlsx",
    "/years/vaerdighed/2016/export.csv",
    "/years/vaerdighed/2018/export.xlsx",
    "/years/vaerdighed/2018/export.csv",
    "/years/vaerdighed/2016/compare/",
    "/initiatives/",
    "/public/",
    "/public/vaerdighed/2018/data.csv",
    "/public/statements/173/vaerdighed/2018/",
    LYNGBY,
    LYNGBY + "export.xlsx",
    LYNGBY + "history/",
]


def body(response) -> str:
    content = response.content
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        from io import BytesIO

        from openpyxl import load_workbook

        wb = load_workbook(BytesIO(content))
        return " ".join(
            str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None
        )
    return content.decode("utf-8", errors="replace")


def test_every_url_and_role_leaks_no_draft(roles, drafts):
    leaks = []
    for name, user in roles.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for url in DRAFT_PAGES:
            status = client.get(url).status_code
            expected = 302 if user is None else 200 if name in OWN_ISHOJ else 404
            if status != expected:
                leaks.append((name, url, status, expected))
        for url in AGGREGATES + DRAFT_PAGES:
            response = client.get(url)
            if response.status_code != 200:
                continue
            text = body(response)
            if DRAFT_MARKER in text and name not in OWN_ISHOJ:
                leaks.append((name, url, "draft text"))
            if (str(ACCOUNTS_MARKER) in text or ACCOUNTS_TEXT in text) and name not in OWN_LYNGBY:
                leaks.append((name, url, "draft accounts"))
    assert leaks == []


def test_the_owners_do_see_their_drafts(roles, drafts):
    client = Client()
    client.force_login(roles["udvalg-ishoj"])
    assert DRAFT_MARKER in client.get(ISHOJ).content.decode()
    assert DRAFT_MARKER in body(client.get(ISHOJ + "export.xlsx"))
    client.force_login(roles["udvalg-lyngby"])
    assert ACCOUNTS_TEXT in client.get(LYNGBY).content.decode()
    assert str(ACCOUNTS_MARKER) in body(client.get(LYNGBY + "export.xlsx"))
    client.force_login(roles["udvalg"])  # a national reader: the submitted form, not its drafts
    page = client.get(LYNGBY).content.decode()
    assert "11.280.000" in page and "Regnskabet vises her, når kommunen har godkendt det." in page
