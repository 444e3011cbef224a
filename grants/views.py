from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django_tables2 import RequestConfig

from budgets.models import BudgetProposal, ProposalAmount
from grants.exports import statement_filename, statement_workbook
from grants.filters import InitiativeFilter
from grants.models import GrantYear, Initiative, InitiativeAmount, Municipality, Statement
from grants.permissions import can_write_municipality, get_statement_for_user
from grants.rules import statement_figures
from grants.tables import InitiativeTable

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the app and its database answer, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


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


def statement_detail(request: HttpRequest, code: str, year: int) -> HttpResponse:
    statement = get_statement_for_user(request.user, code, year)
    figures = statement_figures(statement)
    return render(
        request,
        "grants/statement_detail.html",
        {
            "statement": statement,
            "grant_year": statement.grant.grant_year,
            "figures": figures,
            "can_edit": can_write_municipality(request.user, statement.grant.municipality),
        },
    )


def statement_export(request: HttpRequest, code: str, year: int) -> HttpResponse:
    statement = get_statement_for_user(request.user, code, year)
    content = statement_workbook(statement, statement_figures(statement))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{statement_filename(statement)}"'
    return response


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
    return render(request, "grants/initiative_detail.html", {"initiative": initiative})
