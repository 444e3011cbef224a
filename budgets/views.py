from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from budgets.filters import ProposalFilter, proposal_years
from budgets.models import BudgetProposal, ProposalAmount
from budgets.tables import ProposalTable
from grants import cache as page_cache
from grants.models import Initiative
from grants.tables import configure_table


def _proposals() -> QuerySet[BudgetProposal]:
    return BudgetProposal.objects.select_related("municipality", "source").prefetch_related(
        Prefetch("amounts", queryset=ProposalAmount.objects.order_by("year")),
        Prefetch("initiatives", queryset=Initiative.objects.select_related("municipality")),
    )


def proposal_list(request: HttpRequest) -> HttpResponse:
    return page_cache.render_page(
        request, "budgets/proposal_list.html", lambda: _proposal_list_context(request)
    )


def _proposal_list_context(request: HttpRequest) -> dict:
    filterset = ProposalFilter(request.GET, queryset=_proposals())
    years = [year for year, _ in proposal_years()]
    # An invalid filter value is named on the form and matches nothing (not everything).
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    table = ProposalTable(rows, years=years)
    configure_table(request, table)
    return {"filter": filterset, "table": table, "years": years}


def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return page_cache.render_page(
        request,
        "budgets/proposal_detail.html",
        lambda: {"proposal": get_object_or_404(_proposals(), pk=pk)},
    )
