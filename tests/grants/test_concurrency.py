"""Rule 4 under real concurrency: threads with their own database connections (SQLite file or
PostgreSQL), not a simulation."""

import threading

import pytest
from django.db import connection

from grants.models import AuditChange, AuditEvent, GrantYear, Initiative, Municipality, Statement
from grants.services import (
    GrantExists,
    StaleVersion,
    StatementFrozen,
    StatementValues,
    register_grant,
    save_initiative,
    save_statement,
    submit_statement,
)
from tests.conftest import get_statement
from tests.grants.test_services import ishoj_values

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(n: int, work) -> list[str]:
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            outcome = work(i)
        except (StaleVersion, StatementFrozen, GrantExists) as error:
            outcome = type(error).__name__
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            outcome = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_twenty_simultaneous_submits_give_exactly_one_submission(ishoj):
    s = get_statement("183", 2016)
    save_statement(
        statement=s, values=ishoj_values(s), acting_user=ishoj, expected_version=s.version
    )
    version = s.version

    def submit(_i):
        submit_statement(
            statement=Statement.objects.get(pk=s.pk), acting_user=ishoj, expected_version=version
        )
        return "submitted"

    results = run_together(20, submit)
    assert results.count("submitted") == 1, results
    assert all(r in ("StatementFrozen", "StaleVersion") for r in results if r != "submitted")
    assert AuditEvent.objects.filter(statement=s, action="submit").count() == 1
    assert Statement.objects.get(pk=s.pk).version == version + 1


def test_two_simultaneous_saves_from_one_version_keep_exactly_one(ishoj):
    s = get_statement("183", 2016)

    def save(i):
        save_statement(
            statement=Statement.objects.get(pk=s.pk),
            acting_user=ishoj,
            values=StatementValues(box1=f"tekst {i}"),
            expected_version=1,
        )
        return f"saved {i}"

    results = run_together(2, save)
    saved = [r for r in results if r.startswith("saved")]
    assert len(saved) == 1 and results.count("StaleVersion") == 1, results
    fresh = Statement.objects.get(pk=s.pk)
    assert fresh.box1 == saved[0].replace("saved", "tekst") and fresh.version == 2
    assert AuditChange.objects.filter(event__statement=s, field="box1").count() == 1


def test_simultaneous_registrations_of_one_grant_give_one_and_a_named_refusal(ishoj):
    lyngby_2017 = (
        Municipality.objects.get(code="173"),
        GrantYear.objects.get(programme__slug="vaerdighed", year=2017),
    )

    def register(_i):
        municipality, grant_year = lyngby_2017
        register_grant(
            municipality=municipality, grant_year=grant_year, amount=2_844_000, acting_user=ishoj
        )
        return "registered"

    results = run_together(6, register)
    assert sorted(results) == ["GrantExists"] * 5 + ["registered"], results
    assert (
        Statement.objects.filter(
            grant__grant_year__year=2017, grant__municipality__code="173"
        ).count()
        == 1
    )


def test_simultaneous_new_initiatives_with_one_title_each_get_a_key(ishoj):
    municipality = Municipality.objects.get(code="183")

    def create(i):
        initiative = Initiative(municipality=municipality, title="Madvenner")
        save_initiative(initiative=initiative, amounts={}, acting_user=ishoj)
        return initiative.key

    keys = run_together(6, create)
    assert not [k for k in keys if k.startswith("error")], keys
    assert len(set(keys)) == 6
    assert Initiative.objects.filter(title="Madvenner").count() == 6
    assert AuditEvent.objects.filter(initiative__title="Madvenner", action="create").count() == 6
