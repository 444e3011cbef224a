"""Every committee page needs a login and is read-only for everyone logged in."""

import pytest

from grants.models import Initiative

URLS = [
    "/",
    "/initiatives/",
    "/initiatives/export.xlsx",
    "/initiatives/export.csv",
    "/municipalities/173/",
    "/years/vaerdighed/2018/compare/",
    "/proposals/?year=2021",
    "INITIATIVE",
]


def url_of(url: str) -> str:
    if url == "INITIATIVE":
        return f"/initiatives/{Initiative.objects.get(key='lyngby-loeft-af-aftenvagt').pk}/"
    return url


@pytest.mark.parametrize("url", URLS)
def test_anonymous_is_sent_to_login(client, seed, url):
    response = client.get(url_of(url))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", URLS)
def test_every_role_may_read(client, reader, lyngby, ishoj, administrator, url):
    for user in (reader, lyngby, ishoj, administrator):
        client.force_login(user)
        assert client.get(url_of(url)).status_code == 200, (user, url)
