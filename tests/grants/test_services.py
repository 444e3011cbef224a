"""Service-level tests: submit, reopen, the version check and the audit record."""

import pytest

from grants.models import AllocationLine, AuditChange, AuditEvent, Statement
from grants.services import (
    ReasonRequired,
    RulesNotMet,
    StaleVersion,
    StatementFrozen,
    StatementValues,
    last_year_split,
    register_grant,
    reopen_statement,
    save_statement,
    submit_statement,
)
from tests.conftest import audit_size, get_statement, recorded


def row_ids(statement: Statement) -> dict[tuple[int, str], int]:
    return {(line.row.table, line.row.code): line.row_id for line in statement.lines.all()}


# Ishøj 2016, balanced: Tabel 1 and Tabel 2 each sum to 2.844.000.
ISHOJ_T1 = {"livskvalitet": 1_152_000, "selvbestemmelse": 335_000, "kvalitet": 1_357_000}
ISHOJ_T2 = {"loen": 1_485_000, "kompetence": 1_359_000}


def ishoj_values(statement, *, t2_shortfall=0, confirm=True) -> StatementValues:
    ids = row_ids(statement)
    amounts = {ids[(1, c)]: a for c, a in ISHOJ_T1.items()}
    amounts |= {ids[(2, c)]: a for c, a in ISHOJ_T2.items()}
    amounts[ids[(2, "loen")]] -= t2_shortfall
    return StatementValues(amounts=amounts, box1="Fem indsatser.", box2_confirmed=confirm)


def audit_snapshot():
    return audit_size()


def db_snapshot(statement):
    s = Statement.objects.get(pk=statement.pk)
    lines = list(
        AllocationLine.objects.filter(statement=s).values_list("row_id", "amount", "specification")
    )
    return (s.status, s.version, s.box1, s.box2_confirmed, s.grant.amount, sorted(lines))


def test_save_draft_records_every_change(ishoj):
    s = get_statement("183", 2016)
    entries = save_statement(
        statement=s, values=ishoj_values(s), acting_user=ishoj, expected_version=s.version
    )
    assert s.version == 2
    changes = recorded(statement=s, action="update")
    labels = [label for label, _b, _a in changes]
    assert "Tabel 1 – Livskvalitet" in labels and "Boks 1" in labels and "Boks 2" in labels
    assert ("Tabel 1 – Livskvalitet", "–", "1.152.000") in changes
    assert ("Boks 2", "Nej", "Ja") in changes
    assert len(changes) == len(entries)
    event = AuditEvent.objects.get(statement=s, action="update")  # one event for the save
    assert event.actor == ishoj
    # The change names its row by a reference, not by its label, and holds integers.
    livs = event.changes.get(field="amount", row__code="livskvalitet", row__table=1)
    assert (livs.before_amount, livs.after_amount) == (None, 1_152_000)
    # Saving the same values again changes nothing and records nothing.
    assert (
        save_statement(
            statement=s, values=ishoj_values(s), acting_user=ishoj, expected_version=s.version
        )
        == []
    )
    assert s.version == 2


def test_stale_version_is_refused_and_changes_nothing(ishoj):
    s = get_statement("183", 2016)
    save_statement(
        statement=s, values=StatementValues(box1="A"), acting_user=ishoj, expected_version=1
    )
    before, audit = db_snapshot(s), audit_snapshot()
    with pytest.raises(StaleVersion) as exc:
        save_statement(statement=s, values=ishoj_values(s), acting_user=ishoj, expected_version=1)
    assert exc.value.current.version == 2
    assert db_snapshot(s) == before and audit_snapshot() == audit


def test_submit_refuses_unbalanced_with_the_difference_and_changes_nothing(ishoj):
    s = get_statement("183", 2016)
    save_statement(
        statement=s,
        values=ishoj_values(s, t2_shortfall=12_000),
        acting_user=ishoj,
        expected_version=s.version,
    )
    before, audit = db_snapshot(s), audit_snapshot()
    with pytest.raises(RulesNotMet) as exc:
        submit_statement(statement=s, acting_user=ishoj, expected_version=s.version)
    assert [e.message for e in exc.value.errors] == ["Tabel 2 mangler 12.000 kr."]
    assert db_snapshot(s) == before and audit_snapshot() == audit


def test_submit_freezes_and_reopen_needs_a_reason(ishoj, administrator):
    s = get_statement("183", 2016)
    save_statement(
        statement=s, values=ishoj_values(s), acting_user=ishoj, expected_version=s.version
    )
    submit_statement(statement=s, acting_user=ishoj, expected_version=s.version)
    s.refresh_from_db()
    assert s.is_submitted and s.submitted_by == ishoj and s.submitted_at
    before, audit = db_snapshot(s), audit_snapshot()
    with pytest.raises(StatementFrozen):
        save_statement(
            statement=s,
            values=StatementValues(box1="x"),
            acting_user=ishoj,
            expected_version=s.version,
        )
    with pytest.raises(StatementFrozen):
        submit_statement(statement=s, acting_user=ishoj)
    with pytest.raises(ReasonRequired):
        reopen_statement(statement=s, acting_user=administrator, reason="  ")
    assert db_snapshot(s) == before and audit_snapshot() == audit

    reopen_statement(statement=s, acting_user=administrator, reason="Forkert fordeling")
    s.refresh_from_db()
    assert s.status == Statement.Status.DRAFT and s.submitted_at is None
    event = AuditEvent.objects.filter(statement=s).first()
    assert (event.action, event.reason, event.actor) == (
        "reopen",
        "Forkert fordeling",
        administrator,
    )
    assert recorded(id=event.pk) == [("Status", "Indsendt", "Kladde")]


def test_grant_change_is_audited(ishoj):
    s = get_statement("183", 2016)
    save_statement(
        statement=s,
        values=StatementValues(grant=2_900_000),
        acting_user=ishoj,
        expected_version=s.version,
    )
    s.grant.refresh_from_db()
    assert s.grant.amount == 2_900_000
    change = AuditChange.objects.get(event__statement=s, field="grant", event__action="update")
    assert (change.before_amount, change.after_amount) == (2_844_000, 2_900_000)
    assert recorded(statement=s, action="update") == [("Tilskud", "2.844.000", "2.900.000")]


def test_register_grant_creates_a_draft_with_one_line_per_row(ishoj):
    from grants.models import GrantYear, Municipality

    s = register_grant(
        municipality=Municipality.objects.get(code="173"),
        grant_year=GrantYear.objects.get(programme__slug="vaerdighed", year=2017),
        amount=2_900_000,
        acting_user=ishoj,
    )
    assert s.status == "draft" and s.lines.count() == 12
    assert recorded(statement=s) == [("Tilskud", "–", "2.900.000")]


def test_start_from_last_year_scales_and_keeps_the_sum_exact(ishoj):
    s2016 = get_statement("183", 2016)
    save_statement(
        statement=s2016,
        values=ishoj_values(s2016),
        acting_user=ishoj,
        expected_version=s2016.version,
    )
    # Ishøj's 2017 grant is registered from seed 002; scaled here to another amount.
    s2017 = get_statement("183", 2017)
    values = last_year_split(statement=s2017, grant_amount=2_900_001)
    ids = row_ids(get_statement("183", 2017))
    t1 = {code: values.amounts[ids[(1, code)]] for (t, code) in ids if t == 1}
    t2 = {code: values.amounts[ids[(2, code)]] for (t, code) in ids if t == 2}
    assert sum(t1.values()) == sum(t2.values()) == 2_900_001
    # Scaled by 2.900.001 / 2.844.000, rounded down; the remainder on the largest row.
    assert t1["selvbestemmelse"] == 335_000 * 2_900_001 // 2_844_000
    assert t2["kompetence"] == 1_359_000 * 2_900_001 // 2_844_000
    assert t2["loen"] == 2_900_001 - t2["kompetence"]
    assert t1["mad"] == 0


def test_start_from_last_year_without_an_earlier_statement(ishoj):
    assert last_year_split(statement=get_statement("183", 2016)) is None
