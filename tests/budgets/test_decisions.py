"""Decisions, their outcomes and consultation answers as data: the seed's (001), the status each
proposal gets from its latest decision, the named constraints, the admin."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from budgets.models import (
    AnswerKind,
    BudgetProposal,
    ConsultationAnswer,
    Decision,
    DecisionOutcome,
    ProposalStatus,
)
from budgets.seed import load_seed
from grants.models import Municipality
from tests.factories import make_proposal


def status_of(code: str) -> str:
    return BudgetProposal.objects.with_status().get(code=code).status


def decide(date: datetime.date | None, proposal: BudgetProposal, status: str, body: str = "KB"):
    decision = Decision.objects.create(
        municipality=proposal.municipality, body=body, date=date, summary="Prøve."
    )
    DecisionOutcome.objects.create(decision=decision, proposal=proposal, status=status)
    return decision


# --- Seed 001 -----------------------------------------------------------------------------------


def test_seed_001s_decision(seed):
    [decision] = Decision.objects.all()
    assert (decision.body, decision.date) == (
        "Social- og Sundhedsudvalget",
        datetime.date(2019, 6, 11),
    )
    assert decision.reference.startswith("Mødet 11. juni 2019, punkt 3")
    assert decision.source.key == "001" and decision.municipality.code == "173"
    assert "Økonomiudvalget" in decision.competence and "Kommunalbestyrelsen" in decision.competence
    outcomes = dict(decision.outcomes.values_list("proposal__code", "status"))
    assert len(outcomes) == 18 == BudgetProposal.objects.count()
    exempted = {c for c, s in outcomes.items() if s == ProposalStatus.EXEMPTED}
    assert exempted == {"82BR_SSU", "86BR_SSU"}
    assert set(outcomes.values()) == {ProposalStatus.EXEMPTED, ProposalStatus.CONSULTATION}


def test_seed_001s_seniorraad_answer(seed):
    [answer] = ConsultationAnswer.objects.all()
    assert (answer.respondent, answer.date) == ("Seniorrådet", datetime.date(2019, 6, 3))
    # Its own meeting's minutes, before the committee recommended the consultation.
    assert answer.kind == AnswerKind.STATEMENT
    assert "punkt 6" in answer.reference and answer.source.key == "001"
    named = set(answer.proposals.values_list("code", flat=True))
    assert named == {"80BR_SSU", "91BR_SSU", "82BR_SSU", "87BR_SSU", "88BR_SSU", "83BR_SSU"}


def test_seed_001s_price_level(seed):
    assert set(BudgetProposal.objects.values_list("price_level", flat=True)) == {"2020-priser"}


def test_loading_again_changes_nothing_and_restores_the_seed(seed):
    assert set(load_seed().values()) == {0}
    DecisionOutcome.objects.filter(proposal__code="82BR_SSU").update(status="vedtaget")
    ConsultationAnswer.objects.get().proposals.remove(BudgetProposal.objects.get(code="83BR_SSU"))
    counts = load_seed()
    assert counts["decisions"] == 1 and counts["consultation_answers"] == 1
    assert status_of("82BR_SSU") == ProposalStatus.EXEMPTED
    assert ConsultationAnswer.objects.get().proposals.count() == 6


# --- The status: from the latest decision -------------------------------------------------------


def test_a_proposal_without_decisions_is_a_proposal(seed):
    make_proposal("183", "T1", [(2030, -1000)])
    assert status_of("T1") == ProposalStatus.PROPOSED == "forslag"


def test_the_latest_dated_decision_wins_then_the_one_recorded_last(seed):
    proposal = make_proposal("183", "T1")
    decide(datetime.date(2030, 6, 1), proposal, ProposalStatus.ADOPTED)
    decide(datetime.date(2030, 5, 1), proposal, ProposalStatus.CONSULTATION)  # recorded late
    assert status_of("T1") == ProposalStatus.ADOPTED
    decide(datetime.date(2030, 6, 1), proposal, ProposalStatus.WITHDRAWN, body="ØU")
    assert status_of("T1") == ProposalStatus.WITHDRAWN  # same date: recorded last
    decide(None, proposal, ProposalStatus.REJECTED)  # undated: cannot overrule a dated one
    assert status_of("T1") == ProposalStatus.WITHDRAWN


def test_undated_decisions_alone_count_in_the_order_recorded(seed):
    proposal = make_proposal("183", "T1")
    decide(None, proposal, ProposalStatus.CONSULTATION, body="A")
    decide(None, proposal, ProposalStatus.REJECTED, body="B")
    assert status_of("T1") == ProposalStatus.REJECTED


def test_the_status_filters_in_the_database(seed):
    qs = BudgetProposal.objects.with_status()
    assert qs.filter(status=ProposalStatus.EXEMPTED).count() == 2
    assert qs.filter(status=ProposalStatus.CONSULTATION).count() == 16


# --- Named constraints --------------------------------------------------------------------------


def refused(constraint: str, create) -> None:
    """The database refuses `create` by the constraint's name (SQLite names the columns of a
    unique constraint instead)."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        create()
    message = str(error.value)
    sqlite_unique = connection.vendor == "sqlite" and message.startswith("UNIQUE constraint")
    assert constraint in message or sqlite_unique, message


def test_one_outcome_per_proposal_and_decision(seed):
    outcome = DecisionOutcome.objects.first()
    before = DecisionOutcome.objects.count()
    refused(
        "decision_outcome_one_per_proposal",
        lambda: DecisionOutcome.objects.create(
            decision=outcome.decision, proposal=outcome.proposal, status="vedtaget"
        ),
    )
    assert DecisionOutcome.objects.count() == before


def test_an_outcome_is_a_known_status(seed):
    outcome = DecisionOutcome.objects.first()
    refused(
        "decision_outcome_status_valid",
        lambda: DecisionOutcome.objects.filter(pk=outcome.pk).update(status="afventer"),
    )
    outcome.refresh_from_db()
    assert outcome.status in ProposalStatus.values


@pytest.mark.parametrize(
    "fields, constraint",
    [
        ({"body": ""}, "decision_body_named"),
        ({"summary": ""}, "decision_summary_written"),
        (
            {"body": "Social- og Sundhedsudvalget", "date": datetime.date(2019, 6, 11)},
            "decision_unique_per_body_date_reference",
        ),
    ],
)
def test_a_decision_names_its_body_and_has_our_summary(seed, fields, constraint):
    values = {
        "municipality": Municipality.objects.get(code="173"),
        "body": "ØU",
        "summary": "Prøve.",
        "reference": Decision.objects.get().reference,
        **fields,
    }
    refused(constraint, lambda: Decision.objects.create(**values))
    assert Decision.objects.count() == 1


def test_a_consultation_answer_names_its_sender_and_kind(seed):
    municipality = Municipality.objects.get(code="173")
    refused(
        "consultation_answer_respondent_named",
        lambda: ConsultationAnswer.objects.create(municipality=municipality, summary="x"),
    )
    refused(
        "consultation_answer_kind_valid",
        lambda: ConsultationAnswer.objects.create(
            municipality=municipality, respondent="Ældrerådet", kind="brev", summary="x"
        ),
    )
    assert ConsultationAnswer.objects.count() == 1


# --- The admin ----------------------------------------------------------------------------------


def test_the_admin_lists_and_edits_decisions_and_answers(client, administrator):
    client.force_login(administrator)
    decision = Decision.objects.get()
    answer = ConsultationAnswer.objects.get()
    for url in (
        "/admin/budgets/decision/",
        f"/admin/budgets/decision/{decision.pk}/change/",
        "/admin/budgets/consultationanswer/",
        f"/admin/budgets/consultationanswer/{answer.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    html = client.get("/admin/budgets/budgetproposal/?o=6").content.decode()
    assert "Undtaget fra høring" in html and "Sendt i høring" in html


def test_the_admin_is_for_administrators_only(client, reader):
    client.force_login(reader)
    response = client.get("/admin/budgets/decision/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
