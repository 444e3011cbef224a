"""What committee members read: the overview, initiatives and their money trail, a
municipality's page and the comparison of a year. Read-only views for every logged-in user."""

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django_tables2 import RequestConfig

from budgets.models import BudgetProposal, ProposalAmount
from grants.filters import InitiativeFilter
from grants.models import GrantYear, Initiative, InitiativeAmount, Municipality, Statement
from grants.permissions import can_write_municipality
from grants.tables import InitiativeTable


def overview(request: HttpRequest) -> HttpResponse:
    municipalities = Municipality.objects.count()
    years = GrantYear.objects.select_related("programme").annotate(
        submitted=Count("grants", filter=Q(grants__statement__status=Statement.Status.SUBMITTED)),
        drafts=Count("grants", filter=Q(grants__statement__status=Statement.Status.DRAFT)),
    )
    rows = [
        {
            "year": y,
            "submitted": y.submitted,
            "drafts": y.drafts,
            "not_started": municipalities - y.submitted - y.drafts,
        }
        for y in years
    ]
    statements = Statement.objects.select_related("grant__municipality", "grant__grant_year")
    return render(
        request,
        "grants/overview.html",
        {"years": rows, "statements": statements, "municipality_count": municipalities},
    )


def initiative_list(request: HttpRequest) -> HttpResponse:
    queryset = Initiative.objects.select_related(
        "municipality", "focus_area", "programme", "source"
    ).prefetch_related("amounts")
    filterset = InitiativeFilter(request.GET, queryset=queryset)
    table = InitiativeTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(request, "grants/initiative_list.html", {"filter": filterset, "table": table})


def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = get_object_or_404(
        Initiative.objects.select_related(
            "municipality", "focus_area", "programme", "source"
        ).prefetch_related(
            Prefetch("amounts", queryset=InitiativeAmount.objects.order_by("year")),
            Prefetch(
                "proposals",
                queryset=BudgetProposal.objects.prefetch_related(
                    Prefetch("amounts", queryset=ProposalAmount.objects.order_by("year"))
                ),
            ),
        ),
        pk=pk,
    )
    return render(
        request,
        "grants/initiative_detail.html",
        {
            "initiative": initiative,
            "can_edit": can_write_municipality(request.user, initiative.municipality),
        },
    )
