"""The named database constraints fire on the database itself (SQLite and PostgreSQL)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from budgets.models import BudgetProposal
from grants.models import AllocationLine, Grant, GrantYear, InitiativeAmount, Municipality
from tests.conftest import get_statement


def integrity_error(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_grant_amount_not_negative(seed):
    grant = Grant.objects.get(municipality__code="173", grant_year__year=2018)
    integrity_error(lambda: Grant.objects.filter(pk=grant.pk).update(amount=-1))


def test_one_grant_per_municipality_and_year(seed):
    integrity_error(
        lambda: Grant.objects.create(
            municipality=Municipality.objects.get(code="173"),
            grant_year=GrantYear.objects.get(programme__slug="vaerdighed", year=2018),
            amount=1,
        )
    )


def test_allocation_amount_not_negative_and_one_line_per_row(seed):
    line = get_statement("173", 2018).lines.first()
    integrity_error(lambda: AllocationLine.objects.filter(pk=line.pk).update(amount=-5))
    integrity_error(lambda: AllocationLine.objects.create(statement=line.statement, row=line.row))


def test_initiative_amount_not_negative(seed):
    amount = InitiativeAmount.objects.first()
    integrity_error(lambda: InitiativeAmount.objects.filter(pk=amount.pk).update(amount=-1))


def test_proposal_code_unique_per_municipality_but_amounts_may_be_negative(seed):
    p = BudgetProposal.objects.get(code="80BR_SSU")
    assert p.amounts.filter(amount__lt=0).exists()
    integrity_error(
        lambda: BudgetProposal.objects.create(
            municipality=p.municipality,
            code=p.code,
            budget="x",
            committee="x",
            activity_area="x",
            title="x",
            type=p.type,
        )
    )


def test_forms_see_the_constraints_with_danish_messages(seed):
    grant = Grant(
        municipality=Municipality.objects.get(code="173"),
        grant_year=GrantYear.objects.get(programme__slug="vaerdighed", year=2018),
        amount=-3,
    )
    with pytest.raises(ValidationError) as exc:
        grant.full_clean()
    messages = " ".join(m for ms in exc.value.message_dict.values() for m in ms)
    assert "allerede et tilskud" in messages
    assert "negativt" in messages
