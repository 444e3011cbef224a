import pytest
from django.db import transaction

from bench.synthetic import create_synthetic
from grants.models import AllocationLine, Initiative, InitiativeAmount, Statement
from grants.rules import statement_figures


def synthetic_figures():
    return list(
        AllocationLine.objects.filter(statement__box1__startswith="Syntetisk")
        .order_by(
            "statement__grant__municipality__code",
            "statement__grant__grant_year__year",
            "row__table",
            "row__position",
        )
        .values_list("amount", flat=True)
    )


def test_synthetic_data_is_balanced_marked_and_deterministic(seed):
    with transaction.atomic():
        counts = create_synthetic(1)
        first = synthetic_figures()
        transaction.set_rollback(True)
    # every municipality and year but those the seed has (Lyngby 2018, Ishøj 2016-2019, and the
    # 22 of the ministry's table)
    assert counts == {"statements": 98 * 4 - 5 - 22, "initiatives": 98 * 15}
    create_synthetic(1)
    assert synthetic_figures() == first
    synthetic = (
        Statement.objects.filter(box1__startswith="Syntetisk")
        .prefetch_related("lines__row")
        .select_related("grant")
    )
    assert synthetic.count() == counts["statements"]
    for s in synthetic:
        f = statement_figures(s)
        assert s.is_submitted and f.errors == [], (s, f.errors)
    assert (
        Initiative.objects.filter(key__startswith="synth-", source__key="synthetic").count()
        == 98 * 15
    )
    assert (
        Statement.objects.get(grant__municipality__code="183", grant__grant_year__year=2016).status
        == "draft"
    )


def test_synthetic_data_is_all_or_nothing(seed, monkeypatch):
    """create_synthetic is one transaction: a failure at its last step leaves nothing of it."""

    def fail(*args, **kwargs):
        raise RuntimeError("the last step fails")

    monkeypatch.setattr(InitiativeAmount.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        create_synthetic(1)
    assert not Statement.objects.filter(box1__startswith="Syntetisk").exists()
    assert not Initiative.objects.filter(key__startswith="synth-").exists()
