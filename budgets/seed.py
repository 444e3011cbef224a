"""The seed's budget proposals (seed 001), and the whole seed: `load_seed` loads grants' data
(grants.seed) and then the proposals that refer to its initiatives, in one transaction. budgets
depends on grants, never the other way round."""

from decimal import Decimal

from django.db import transaction

from budgets.models import BudgetProposal, ProposalAmount
from grants.models import Initiative, Municipality, SourceDocument
from grants.seed import load_grant_data, load_json, upsert


def load_proposals() -> int:
    data = load_json("proposals.json")
    municipality = Municipality.objects.get(code=data["municipality_code"])
    source = SourceDocument.objects.get(key=data["source"])
    changed = 0
    for rec in data["proposals"]:
        proposal, c = upsert(
            BudgetProposal,
            {"municipality": municipality, "code": rec["code"]},
            {
                "budget": "Budget 2020-23",
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


@transaction.atomic
def load_seed() -> dict[str, int]:
    counts = load_grant_data()
    counts["proposals"] = load_proposals()
    return counts
