"""The seed's budget proposals (seed 001), and the whole seed: `load_seed` loads grants' data
(grants.seed) and then the proposals that refer to its initiatives, in one transaction. budgets
depends on grants, never the other way round."""

import datetime
from decimal import Decimal

from django.db import transaction

from budgets.models import (
    BudgetProposal,
    ConsultationAnswer,
    Decision,
    DecisionOutcome,
    ProposalAmount,
)
from grants.models import Initiative, Municipality, SourceDocument
from grants.seed import load_grant_data, load_json, upsert


def _proposals_file() -> tuple[dict, Municipality, SourceDocument]:
    """fixtures/seed/proposals.json, with the municipality and source document it is about."""
    data = load_json("proposals.json")
    municipality = Municipality.objects.get(code=data["municipality_code"])
    return data, municipality, SourceDocument.objects.get(key=data["source"])


def load_proposals() -> int:
    data, municipality, source = _proposals_file()
    changed = 0
    for rec in data["proposals"]:
        proposal, c = upsert(
            BudgetProposal,
            {"municipality": municipality, "code": rec["code"]},
            {
                "budget": data["budget"],
                "price_level": data["price_level"],
                "committee": rec["committee"],
                "committee_name": rec["committee_name"],
                "activity_area": rec["activity_area"],
                "centre": rec["centre"],
                "title": rec["title"],
                "type": rec["type"],
                "description": rec["description"],
                "source": source,
            },
        )
        changed += c
        for year, amount in rec["amounts"].items():
            fte = rec["fte"].get(year)
            changed += upsert(
                ProposalAmount,
                {"proposal": proposal, "year": int(year)},
                {"amount": amount, "fte": Decimal(fte) if fte is not None else None},
            )[1]
        wanted = set(Initiative.objects.filter(key__in=rec["initiative_keys"]))
        if set(proposal.initiatives.all()) != wanted:
            proposal.initiatives.set(wanted)
            changed += 1
    return changed


def _date(value: str | None) -> datetime.date | None:
    """An ISO date, or None where the source gives none (unknown, never invented)."""
    return datetime.date.fromisoformat(value) if value else None


def load_decisions() -> int:
    """The decisions on the proposals and what each did to each proposal (its status after)."""
    data, municipality, source = _proposals_file()
    proposals = {p.code: p for p in BudgetProposal.objects.filter(municipality=municipality)}
    changed = 0
    for rec in data["decisions"]:
        decision, c = upsert(
            Decision,
            {
                "municipality": municipality,
                "body": rec["body"],
                "date": _date(rec["date"]),
                "reference": rec["reference"],
            },
            {"summary": rec["summary"], "competence": rec["competence"], "source": source},
        )
        changed += c
        for code, status in rec["outcomes"].items():
            changed += upsert(
                DecisionOutcome,
                {"decision": decision, "proposal": proposals[code]},
                {"status": status},
            )[1]
        stale = decision.outcomes.exclude(proposal__code__in=list(rec["outcomes"]))
        changed += stale.delete()[0]
    return changed


def load_consultation_answers() -> int:
    data, municipality, source = _proposals_file()
    changed = 0
    for rec in data["consultation_answers"]:
        answer, c = upsert(
            ConsultationAnswer,
            {
                "municipality": municipality,
                "respondent": rec["respondent"],
                "date": _date(rec["date"]),
                "reference": rec["reference"],
            },
            {"kind": rec["kind"], "summary": rec["summary"], "source": source},
        )
        changed += c
        wanted = set(
            BudgetProposal.objects.filter(municipality=municipality, code__in=rec["proposals"])
        )
        if len(wanted) != len(rec["proposals"]):
            raise ValueError(f"Unknown proposal in {rec['proposals']}")
        if set(answer.proposals.all()) != wanted:
            answer.proposals.set(wanted)
            changed += 1
    return changed


@transaction.atomic
def load_seed() -> dict[str, int]:
    counts = load_grant_data()
    counts["proposals"] = load_proposals()
    counts["decisions"] = load_decisions()
    counts["consultation_answers"] = load_consultation_answers()
    return counts
