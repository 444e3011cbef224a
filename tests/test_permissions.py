"""The permission matrix: every URL and role. A refused write must also change nothing."""

import pytest
from django.test import Client

from grants.models import (
    AllocationLine,
    AuditChange,
    AuditEvent,
    Grant,
    Initiative,
    InitiativeAmount,
    Statement,
)
from tests.conftest import get_statement
from tests.grants.test_edit import post_data


def everything():
    return [
        sorted(map(str, model.objects.values_list()))
        for model in (
            Statement,
            AllocationLine,
            Grant,
            AuditEvent,
            AuditChange,
            Initiative,
            InitiativeAmount,
        )
    ]


@pytest.fixture
def users(lyngby, ishoj, reader, administrator):
    return {"lyngby": lyngby, "ishoj": ishoj, "udvalg": reader, "admin": administrator}


def evening():
    return Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")


READ_URLS = [
    "/",
    "/statements/173/vaerdighed/2018/",
    "/statements/173/vaerdighed/2018/export.xlsx",
    "/statements/173/vaerdighed/2018/history/",
    "/initiatives/",
    "/initiatives/?q=aftenvagt",
    "/proposals/",
]


@pytest.mark.parametrize("url", READ_URLS)
def test_reading_needs_login_and_every_role_may_read(client, users, url):
    assert client.get(url).status_code == 302
    for user in users.values():
        client.force_login(user)
        assert client.get(url).status_code == 200, (user, url)


def test_initiative_and_proposal_pages_read(client, users):
    from budgets.models import BudgetProposal

    for user in users.values():
        client.force_login(user)
        assert client.get(f"/initiatives/{evening().pk}/").status_code == 200
        p = BudgetProposal.objects.get(code="80BR_SSU")
        assert client.get(f"/proposals/{p.pk}/").status_code == 200


# (url, who may, data maker); the Ishøj statement and a Lyngby initiative are the objects.
def edit_data():
    return post_data(get_statement("183", 2016))


def initiative_data():
    return {"title": "Ændret titel", "description": "x", "effect": ""}


WRITES = [
    ("GET", "/statements/183/vaerdighed/2016/edit/", None),
    ("POST", "/statements/183/vaerdighed/2016/edit/", edit_data),
    ("POST", "/statements/173/vaerdighed/2018/reopen/", lambda: {"reason": "test"}),
    ("GET", "/grants/new/", None),
    (
        "POST",
        "/grants/new/",
        lambda: {"grant_year": free_year().pk, "amount": "1.000", "municipality": "183"},
    ),
    ("GET", "/initiatives/new/", None),
    ("POST", "/initiatives/new/", lambda: {**initiative_data(), "municipality": "173"}),
    ("GET", "EVENING_EDIT", None),
    ("POST", "EVENING_EDIT", initiative_data),
]


def free_year():
    """A programme-year neither Ishøj nor Lyngby-Taarbæk has a grant for in the seed."""
    from grants.models import GrantYear

    return GrantYear.objects.get(programme__slug="bedre-bemanding", year=2019)


def resolve(url):
    return f"/initiatives/{evening().pk}/edit/" if url == "EVENING_EDIT" else url


def request(client, method, url, make):
    url = resolve(url)
    return client.get(url) if method == "GET" else client.post(url, make())


@pytest.mark.parametrize("method, url, make", WRITES)
def test_anonymous_write_goes_to_login_and_changes_nothing(client, seed, method, url, make):
    before = everything()
    response = request(client, method, url, make)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert everything() == before


@pytest.mark.parametrize("method, url, make", WRITES)
def test_reader_write_is_403_and_changes_nothing(client, users, method, url, make):
    client.force_login(users["udvalg"])
    before = everything()
    assert request(client, method, url, make).status_code == 403
    assert everything() == before


WRONG_MUNICIPALITY = [
    ("lyngby", "GET", "/statements/183/vaerdighed/2016/edit/", None),
    ("lyngby", "POST", "/statements/183/vaerdighed/2016/edit/", edit_data),
    ("ishoj", "GET", "EVENING_EDIT", None),
    ("ishoj", "POST", "EVENING_EDIT", initiative_data),
]


@pytest.mark.parametrize("who, method, url, make", WRONG_MUNICIPALITY)
def test_other_municipality_is_404_and_changes_nothing(client, users, who, method, url, make):
    client.force_login(users[who])
    before = everything()
    assert request(client, method, url, make).status_code == 404
    assert everything() == before


def test_finance_staff_cannot_reopen(client, users):
    client.force_login(users["lyngby"])
    before = everything()
    assert (
        client.post("/statements/173/vaerdighed/2018/reopen/", {"reason": "x"}).status_code == 403
    )
    assert everything() == before


def test_finance_staff_register_only_their_own_municipality(client, users):
    client.force_login(users["ishoj"])
    # The municipality field is not theirs to choose: a posted 173 is ignored.
    year = free_year()
    client.post("/grants/new/", {"grant_year": year.pk, "amount": "1.000", "municipality": "173"})
    assert Grant.objects.filter(grant_year=year).get().municipality.code == "183"


@pytest.mark.parametrize("method, url, make", [w for w in WRITES if w[0] == "POST"])
def test_post_without_csrf_token_is_403_and_changes_nothing(users, method, url, make):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    before = everything()
    assert request(client, method, url, make).status_code == 403
    assert everything() == before


@pytest.mark.parametrize("method, url, make", WRITES)
def test_own_municipality_and_admin_may_write(client, users, method, url, make):
    who = (
        "lyngby"
        if "EVENING" in url or "173" in url or url.startswith("/initiatives/new")
        else "ishoj"
    )
    if "reopen" in url:
        who = "admin"
    client.force_login(users[who])
    response = request(client, method, url, make)
    assert response.status_code in (200, 302), (who, url, response.status_code)
    if method == "POST":
        assert response.status_code == 302


def test_admin_site_refuses_writes_to_statements(client, users):
    client.force_login(users["admin"])
    s = get_statement("173", 2018)
    before = everything()
    url = f"/admin/grants/statement/{s.pk}/change/"
    assert client.get(url).status_code == 200  # viewable
    response = client.post(url, {"box1": "ændret via admin", "status": "draft"})
    assert response.status_code == 403
    line = s.lines.first()
    assert client.post(f"/admin/grants/allocationline/{line.pk}/change/", {}).status_code in (
        403,
        404,
    )
    audit = AuditEvent.objects.first()
    assert client.post(f"/admin/grants/auditevent/{audit.pk}/change/", {}).status_code == 403
    assert (
        client.post(f"/admin/grants/auditevent/{audit.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert everything() == before
