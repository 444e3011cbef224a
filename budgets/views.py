from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from budgets.models import BudgetProposal, ProposalAmount


def _proposals():
    return BudgetProposal.objects.select_related("municipality", "source").prefetch_related(
        Prefetch("amounts", queryset=ProposalAmount.objects.order_by("year")), "initiatives"
    )


def proposal_list(request: HttpRequest) -> HttpResponse:
    return render(request, "budgets/proposal_list.html", {"proposals": _proposals()})


def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(_proposals(), pk=pk)
    return render(request, "budgets/proposal_detail.html", {"proposal": proposal})
