"""The management commands as an operator runs them: what they print and what they change."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from grants.exports import statement_workbook
from grants.models import AuditEvent, Membership, Statement
from grants.rules import statement_figures
from tests.conftest import audit_size, get_statement
from tests.spreadsheets.test_import import edited, fill


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_load_seed_twice_changes_nothing_the_second_time(seed):
    output = run("load_seed")
    assert "municipalities: 0" in output and "proposals: 0" in output


def test_setup_demo_creates_the_four_accounts_once(seed):
    run("setup_demo")
    run("setup_demo")
    User = get_user_model()
    assert set(User.objects.values_list("username", flat=True)) >= {"admin", "lyngby", "ishoj"}
    assert User.objects.get(username="admin").is_superuser
    lyngby = Membership.objects.get(user__username="lyngby")
    assert (lyngby.role, lyngby.municipality.code) == ("finance", "173")
    assert User.objects.get(username="udvalg").check_password("demo")


def test_compile_catalogues_writes_the_english_catalogue(settings, tmp_path):
    output = run("compile_catalogues")
    assert "Compiled 1 catalogue(s)." in output


def test_import_statement_dry_run_shows_the_changes_and_writes_nothing(seed, tmp_path, ishoj):
    path = tmp_path / "ishoj-2016.xlsx"
    path.write_bytes(edited(fill))
    before = audit_size()
    output = run("import_statement", str(path), "--dry-run")
    assert "Tabel 1 – Livskvalitet: – -> 1.152.000" in output
    assert "prøvekørsel, intet gemt" in output
    assert audit_size() == before

    output = run("import_statement", str(path), "--user", "ishoj")
    assert "6 ændringer gemt som kladde" in output
    event = AuditEvent.objects.get(action="import")
    assert (event.actor, event.filename) == (ishoj, "ishoj-2016.xlsx")
    assert get_statement("183", 2016).status == Statement.Status.DRAFT


def test_import_statement_refusals_name_the_problem(seed, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(CommandError, match="bad.xlsx: Filen er ikke et Excel-regneark"):
        run("import_statement", str(bad))
    good = tmp_path / "ishoj.xlsx"
    good.write_bytes(edited(fill))
    with pytest.raises(CommandError, match="Brugeren nobody findes ikke"):
        run("import_statement", str(good), "--user", "nobody")
    submitted = get_statement("173", 2018)
    frozen = tmp_path / "lyngby.xlsx"
    frozen.write_bytes(statement_workbook(submitted, statement_figures(submitted)))
    before = audit_size()
    with pytest.raises(CommandError, match="Lyngby-Taarbæk Kommune 2018"):
        run("import_statement", str(frozen))
    assert audit_size() == before
