from budgets.models import (
    BudgetProposal,
    ConsultationAnswer,
    Decision,
    DecisionOutcome,
    ProposalAmount,
)
from budgets.seed import load_seed
from grants.models import (
    AllocationLine,
    AuditChange,
    AuditEvent,
    FormRow,
    GrantYear,
    Initiative,
    InitiativeAmount,
    Municipality,
    Programme,
    Statement,
)
from tests.conftest import get_statement


def snapshot():
    return {
        model.__name__: sorted(map(str, model.objects.values_list()))
        for model in (
            Municipality,
            GrantYear,
            FormRow,
            Statement,
            AllocationLine,
            Initiative,
            InitiativeAmount,
            BudgetProposal,
            ProposalAmount,
            Decision,
            DecisionOutcome,
            ConsultationAnswer,
            ConsultationAnswer.proposals.through,
            AuditEvent,
            AuditChange,
        )
    }


def test_loading_twice_changes_nothing(seed):
    before = snapshot()
    counts = load_seed()
    assert set(counts.values()) == {0}
    assert snapshot() == before


def test_reference_data(seed):
    assert Municipality.objects.count() == 98
    assert Municipality.objects.get(code="173").name == "Lyngby-Taarbæk"
    years = {
        p.slug: (p.first_year, p.last_year, p.block_grant_from, [y.year for y in p.years.all()])
        for p in Programme.objects.prefetch_related("years")
    }
    assert years == {
        "aeldre": (2014, 2015, 2016, [2014, 2015]),
        "klippekort-svageste": (2015, 2016, 2017, [2015, 2016]),
        "vaerdighed": (2016, 2019, 2020, [2016, 2017, 2018, 2019]),
        "klippekort-plejecentre": (2017, 2018, 2019, [2017, 2018]),
        "bedre-bemanding": (2018, None, None, [2018, 2019]),
    }
    # Two programmes share 2017 (and 2018): a year belongs to a programme.
    assert GrantYear.objects.filter(year=2017).count() == 2
    # Only 2018's Værdighedsmilliarden form is verified against a source (seed 000); the other
    # years of that programme keep a form marked as unverified; the other pools have none.
    forms = {
        (gy.programme.slug, gy.year): (gy.has_form, gy.form_verified)
        for gy in GrantYear.objects.select_related("programme")
    }
    assert forms[("vaerdighed", 2018)] == (True, True)
    assert forms[("vaerdighed", 2016)] == (True, False)
    assert forms[("aeldre", 2015)] == (False, False)
    admin_2016 = FormRow.objects.get(
        grant_year__programme__slug="vaerdighed",
        grant_year__year=2016,
        code="administration",
        table=1,
    )
    assert admin_2016.label == "Udarbejdelse af værdighedspolitik, dialog og administration mv."
    admin_2018 = FormRow.objects.get(
        grant_year__programme__slug="vaerdighed",
        grant_year__year=2018,
        table=2,
        code="administration",
    )
    assert admin_2018.label == "Revision af værdighedspolitik, dialog og administration mv."


def test_lyngby_2018_is_complete_and_submitted(seed):
    s = get_statement("173", 2018)
    assert s.is_submitted and s.box2_confirmed
    assert s.grant.amount == 11_280_000
    amounts = {(line.row.table, line.row.code): line.amount for line in s.lines.all()}
    assert amounts == {
        (1, "livskvalitet"): 8_879_000,
        (1, "selvbestemmelse"): 520_000,
        (1, "kvalitet"): 1_607_000,
        (1, "mad"): 0,
        (1, "vaerdig_doed"): 64_000,
        (1, "andet"): 0,
        (1, "administration"): 210_000,
        (2, "loen"): 10_245_000,
        (2, "kompetence"): 425_000,
        (2, "anskaffelser"): 100_000,
        (2, "andet"): 300_000,
        (2, "administration"): 210_000,
    }
    other = s.lines.get(row__table=2, row__code="andet")
    assert other.specification == "licenser og indsatser rettet mod de pårørende"
    assert "Løft af aftenvagten" in s.box1


def test_ishoj_2016_is_an_empty_draft(seed):
    s = get_statement("183", 2016)
    assert s.status == Statement.Status.DRAFT
    assert s.grant.amount == 2_844_000
    assert s.lines.count() == 12
    assert all(line.amount is None for line in s.lines.all())


def test_initiatives_and_proposals(seed):
    ishoj_2016 = Initiative.objects.filter(municipality__code="183", source__key="002")
    assert ishoj_2016.count() == 5
    for onward in (False, True):
        total = sum(
            InitiativeAmount.objects.filter(initiative__in=ishoj_2016, onward=onward).values_list(
                "amount", flat=True
            )
        )
        assert total == 2_844_000
    aeldre = Initiative.objects.filter(municipality__code="183", programme__slug="aeldre")
    assert sorted(a.amount for i in aeldre for a in i.amounts.all()) == [
        441_335,
        1_084_658,
        1_288_007,
    ]
    assert Initiative.objects.filter(source__key="003").count() == 10
    evening = Initiative.objects.get(key="lyngby-loeft-af-aftenvagt")
    assert evening.amounts.get(year=2019).amount == 4_795_000
    icura = Initiative.objects.get(municipality__code="173", title__icontains="icura")
    assert icura.amounts.get(year=2017).amount == 80_000 and icura.amounts.get().onward

    assert BudgetProposal.objects.count() == 18
    p80 = BudgetProposal.objects.get(code="80BR_SSU")
    assert list(p80.amounts.values_list("year", "amount")) == [
        (2020, -3_596_000),
        (2021, -4_795_000),
        (2022, -4_795_000),
        (2023, -4_795_000),
    ]
    assert list(p80.initiatives.all()) == [evening]
    for code, key in [
        ("81BR_SSU", "lyngby-aktivitetsmedarbejdere-traeningscentre"),
        ("87BR_SSU", "lyngby-klippekort-plejecentre"),
        ("88BR_SSU", "lyngby-klippekort-hjemmeplejen"),
    ]:
        assert BudgetProposal.objects.get(code=code).initiatives.get().key == key
