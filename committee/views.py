"""What committee members read: the overview, initiatives and their money trail, budget
proposals, a municipality's page and the comparison of a year. Read-only views for every
logged-in user.

Figures across statements come from committee.reports; charts from committee.charts, fed with the
same figures as the tables beside them.
"""

import hashlib
from collections.abc import Callable, Iterable

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from budgets.models import (
    BudgetProposal,
    ConsultationAnswer,
    DecisionOutcome,
    ProposalAmount,
    latest_first,
)
from committee import charts, reports
from committee.filters import InitiativeFilter, ProposalFilter, proposal_years
from committee.tables import (
    INITIATIVE_WIDTHS,
    PROPOSAL_WIDTHS,
    InitiativeTable,
    ProposalTable,
    configure_table,
    initiative_export_rows,
    proposal_export_rows,
    proposal_total_row,
    rows_workbook,
)
from grants import cache as page_cache
from grants import views as grant_views
from grants.exports import csv_content
from grants.models import (
    DEFAULT_PROGRAMME,
    GrantYear,
    Initiative,
    InitiativeAmount,
    Municipality,
    Programme,
    Statement,
)
from grants.permissions import is_writer
from grants.rules import reconcile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _initiatives() -> QuerySet[Initiative]:
    return Initiative.objects.select_related(
        "municipality", "focus_area", "programme", "source"
    ).prefetch_related(
        Prefetch(
            "amounts", queryset=InitiativeAmount.objects.select_related("source").order_by("year")
        )
    )


def _proposals() -> QuerySet[BudgetProposal]:
    """Proposals with their current status (from their latest decision) and their amounts."""
    return BudgetProposal.objects.with_status().prefetch_related(
        Prefetch("amounts", queryset=ProposalAmount.objects.order_by("year"))
    )


# --- Overview -----------------------------------------------------------------------------------


def chosen_programme(request: HttpRequest) -> Programme:
    """?programme=<slug>, Værdighedsmilliarden when none is named; an unknown one is a 404."""
    return get_object_or_404(Programme, slug=request.GET.get("programme") or DEFAULT_PROGRAMME)


def _chosen_year(request: HttpRequest, statuses: list[reports.YearStatus]) -> GrantYear | None:
    """The year asked for (?year=), else the latest year with a submitted statement, else the
    latest grant year."""
    years = {s.grant_year.year: s for s in statuses}
    try:
        asked = int(request.GET.get("year", ""))
    except ValueError:
        asked = None
    if asked in years:
        return years[asked].grant_year
    with_submitted = [s for s in statuses if s.submitted]
    chosen = (with_submitted or statuses or [None])[-1]
    return chosen.grant_year if chosen else None


def home(request: HttpRequest) -> HttpResponse:
    """The front page: finance staff and administrators land on "Dine opgaver" (grants.views.tasks),
    committee members on the overview (at /overview/ for everyone)."""
    if is_writer(request.user):
        return grant_views.tasks(request)
    return overview(request)


def overview(request: HttpRequest) -> HttpResponse:
    return page_cache.render_page(request, "committee/overview.html", _overview_context)


def _overview_context(request: HttpRequest) -> dict:
    programme = chosen_programme(request)
    scope = request.scope
    statuses = reports.status_counts(
        programme, drafts_of=scope.municipality_id, all_drafts=scope.is_admin
    )
    grant_year = _chosen_year(request, statuses)
    with_form = [s for s in statuses if s.grant_year.has_form]
    status_caption = _("Redegørelsernes status pr. tilskudsår (antal kommuner)")
    context = {
        "programme": programme,
        "programmes": Programme.objects.all(),
        "statuses": statuses,
        "status_caption": status_caption,
        "status_chart": charts.status_chart(
            with_form, chart_id="chart-status", table_caption=status_caption
        )
        if with_form
        else "",
        "grant_year": grant_year,
        "breakdowns": [],
        "statements": scope.visible(
            Statement.objects.select_related(
                "grant__municipality", "grant__grant_year__programme"
            ).filter(grant__grant_year=grant_year)
        ),
        "today": timezone.localdate(),
    }
    if grant_year is not None and grant_year.has_form:
        for table, title in ((1, grant_year.table1_title), (2, grant_year.table2_title)):
            breakdown = reports.national_breakdown(grant_year, table)
            caption = _("Tabel %(table)s, alle indsendte: kr. og andel pr. række") % {
                "table": table
            }
            context["breakdowns"].append(
                {
                    "breakdown": breakdown,
                    "heading": title,
                    "caption": caption,
                    "id": f"table{table}",
                    "chart": charts.breakdown_chart(
                        breakdown,
                        chart_id=f"chart-table{table}",
                        title=_("%(title)s – alle indsendte") % {"title": title},
                        table_caption=caption,
                    ),
                }
            )
        context["national_accounts"] = reports.national_accounts(grant_year)
    return context


# --- Initiatives --------------------------------------------------------------------------------


def _initiative_table(request: HttpRequest) -> tuple[InitiativeFilter, InitiativeTable]:
    """The filtered, sorted table: the page shows a page of it, the downloads all of it."""
    filterset = InitiativeFilter(request.GET, queryset=_initiatives())
    # A filter value that is not a choice is named on the form and matches nothing: showing
    # everything instead would pass for an answer.
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return filterset, InitiativeTable(rows)


def initiative_list(request: HttpRequest) -> HttpResponse:
    return page_cache.render_page(
        request, "committee/initiative_list.html", _initiative_list_context
    )


def _initiative_list_context(request: HttpRequest) -> dict:
    filterset, table = _initiative_table(request)
    configure_table(request, table)
    return {"filter": filterset, "table": table}


def _export(
    request: HttpRequest,
    fmt: str,
    *,
    name: str,
    filterset: object,
    table: object,
    rows: Callable[[str], Iterable[list]],
    sheet_title: str,
    widths: Iterable[float] = INITIATIVE_WIDTHS,
    total: list | None = None,
) -> HttpResponse:
    """A filtered table's download, every row in the page's sort order (`rows(base_url)`, and a
    `total` row last if given), as xlsx or CSV; or, when a filter value is not valid, a 400
    naming the filters (a file of everything would pass for an answer)."""
    if not filterset.is_valid():
        problems = [
            f"{filterset.form[field].label}: {' '.join(errors)}"
            for field, errors in filterset.form.errors.items()
        ]
        return HttpResponse(
            _("Filtrene kan ikke bruges, så intet er hentet. %(problems)s")
            % {"problems": " ".join(problems)},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if fmt not in ("xlsx", "csv"):
        raise Http404
    RequestConfig(request, paginate=False).configure(table)  # the page's sort order
    base_url = request.build_absolute_uri("/").rstrip("/")

    def build() -> bytes | str:
        if fmt == "xlsx":
            return rows_workbook(rows(base_url), sheet_title, widths=widths, total=total)
        return csv_content([*rows(base_url), *([total] if total else [])])

    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:16]
    return page_cache.download(
        request,
        etag=f"{name}-{page_cache.data_version()}-{get_language()}-{query}",
        filename=f"{name}.{fmt}",
        content_type=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8",
        build=build,
    )


def initiative_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered table, every row (not just the page), as xlsx or CSV."""
    filterset, table = _initiative_table(request)
    return _export(
        request,
        fmt,
        name="indsatser",
        filterset=filterset,
        table=table,
        rows=lambda base_url: initiative_export_rows(table, base_url),
        sheet_title=_("Indsatser"),
    )


def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return page_cache.render_page(
        request,
        "committee/initiative_detail.html",
        lambda content: _initiative_detail_context(content, pk),
    )


def _initiative_detail_context(request: HttpRequest, pk: int) -> dict:
    initiative = get_object_or_404(
        _initiatives().prefetch_related(Prefetch("proposals", queryset=_proposals())), pk=pk
    )
    trail = reports.money_trail(initiative)
    caption = _("Pengesporet år for år (kr.)")
    return {
        "initiative": initiative,
        "trail": trail,
        "trail_caption": caption,
        "trail_chart": charts.money_trail_chart(
            trail,
            chart_id="chart-trail",
            title=_("Pengesporet for %(title)s") % {"title": initiative.title},
            table_caption=caption,
        )
        if trail
        else "",
        "can_edit": request.scope.may_write(initiative.municipality_id),
    }


# --- A municipality -----------------------------------------------------------------------------


def municipality_detail(request: HttpRequest, code: str) -> HttpResponse:
    return page_cache.render_page(
        request,
        "committee/municipality_detail.html",
        lambda content: _municipality_detail_context(content, code),
    )


def _visible_statement(grant: object, sees_drafts: bool) -> Statement | None:
    """The grant's statement if the reader may see it (a draft only for its own)."""
    statement = getattr(grant, "statement", None) if grant is not None else None
    if statement is None or (not statement.is_submitted and not sees_drafts):
        return None
    return statement


def _municipality_detail_context(request: HttpRequest, code: str) -> dict:
    municipality = get_object_or_404(Municipality, code=code)
    programme = chosen_programme(request)
    sees_drafts = request.scope.sees_drafts_of(municipality.pk)
    grants = {
        g.grant_year_id: g
        for g in municipality.grants.select_related("statement", "grant_year", "source")
    }
    initiatives = list(_initiatives().filter(municipality=municipality))
    programmes = []
    grant_years = GrantYear.objects.select_related("programme").order_by(
        "programme__first_year", "programme__name", "year"
    )
    for p in Programme.objects.all():
        rows = []
        for gy in (gy for gy in grant_years if gy.programme_id == p.pk):
            grant = grants.get(gy.pk)
            funded = [i for i in initiatives if i.programme_id == p.pk]
            rows.append(
                {
                    "grant_year": gy,
                    "grant": grant,
                    "statement": _visible_statement(grant, sees_drafts),
                    "overdue": grant is not None
                    and gy.has_form
                    and gy.is_overdue()
                    and not getattr(getattr(grant, "statement", None), "is_submitted", False),
                    "reconciliation": reconcile(
                        grant=grant.amount, grant_year=gy, table1=[], initiatives=funded
                    )
                    if grant is not None and funded
                    else None,
                }
            )
        programmes.append({"programme": p, "years": rows})
    history = reports.municipality_split_history(municipality, programme)
    proposals = list(_proposals().filter(municipality=municipality))
    proposal_years = sorted({a.year for p in proposals for a in p.amounts.all()})
    proposal_rows = [
        (
            p,
            [
                next((a.amount for a in p.amounts.all() if a.year == y), None)
                for y in proposal_years
            ],
        )
        for p in proposals
    ]
    caption = _("Fordeling på områder (tabel 1) pr. år, indsendte redegørelser (kr.)")
    return {
        "municipality": municipality,
        "programme": programme,
        "programmes": programmes,
        "history": history,
        "history_caption": caption,
        "history_chart": charts.split_history_chart(
            history,
            chart_id="chart-history",
            title=_("%(name)s: fordeling på områder pr. år") % {"name": municipality.name},
            table_caption=caption,
        )
        if history.years
        else "",
        "initiatives": initiatives,
        "proposal_years": proposal_years,
        "proposal_rows": proposal_rows,
    }


# --- A year's comparison ------------------------------------------------------------------------


def _sort_headers(comparison: reports.Comparison) -> list[dict]:
    """The comparison table's column headers with the `sort` each link asks for and the
    current aria-sort state."""
    columns = [("name", _("Kommune"))]
    columns += [(c.code, c.label) for c in comparison.categories]
    columns += [("total", _("Udmøntning i alt (kr.)"))]
    current = comparison.sort.removeprefix("-")
    descending = comparison.sort.startswith("-")
    headers = []
    for key, label in columns:
        active = key == current
        # Names sort A-Z first; shares and totals largest first.
        first = key if key == "name" else f"-{key}"
        if active:
            following = key if descending else f"-{key}"
        else:
            following = first
        headers.append(
            {
                "key": key,
                "label": label,
                "sort": following,
                "aria_sort": ("descending" if descending else "ascending") if active else "",
            }
        )
    return headers


def year_compare(request: HttpRequest, programme: str, year: int) -> HttpResponse:
    return page_cache.render_page(
        request,
        "committee/year_compare.html",
        lambda content: _year_compare_context(content, programme, year),
    )


def _year_compare_context(request: HttpRequest, programme: str, year: int) -> dict:
    grant_year = get_object_or_404(
        GrantYear.objects.select_related("programme"),
        programme__slug=programme,
        year=year,
        has_form=True,
    )
    comparison = reports.year_comparison(grant_year, sort=request.GET.get("sort", "name"))
    caption = _("Andel pr. område af tabel 1 i %(year)s (procent af udmøntningen)") % {"year": year}
    return {
        "grant_year": grant_year,
        "comparison": comparison,
        "headers": _sort_headers(comparison),
        "caption": caption,
        "chart": charts.comparison_chart(
            comparison, chart_id="chart-compare", table_caption=caption
        )
        if comparison.municipalities
        else "",
        "years": GrantYear.objects.filter(
            programme=grant_year.programme, has_form=True
        ).select_related("programme"),
    }


# --- Budget proposals ---------------------------------------------------------------------------


def _proposal_rows() -> QuerySet[BudgetProposal]:
    return (
        _proposals()
        .select_related("municipality", "source")
        .prefetch_related(
            Prefetch("initiatives", queryset=Initiative.objects.select_related("municipality"))
        )
    )


def _proposal_table(request: HttpRequest) -> tuple[ProposalFilter, ProposalTable]:
    """The filtered, sorted table with the listed proposals' totals per year: the page shows a
    page of it, the downloads all of it, and all three the same totals."""
    filterset = ProposalFilter(request.GET, queryset=_proposal_rows())
    # An invalid filter value is named on the form and matches nothing (not everything).
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    years = [year for year, _ in proposal_years()]
    return filterset, ProposalTable(rows, totals=reports.proposal_totals(rows, years))


def proposal_list(request: HttpRequest) -> HttpResponse:
    return page_cache.render_page(request, "committee/proposal_list.html", _proposal_list_context)


def _proposal_list_context(request: HttpRequest) -> dict:
    filterset, table = _proposal_table(request)
    configure_table(request, table)
    return {"filter": filterset, "table": table, "totals": table.totals}


def proposal_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered proposals, every row, with the totals row, as xlsx or CSV."""
    filterset, table = _proposal_table(request)
    return _export(
        request,
        fmt,
        name="budgetforslag",
        filterset=filterset,
        table=table,
        rows=lambda base_url: proposal_export_rows(table, base_url),
        sheet_title=_("Budgetforslag"),
        widths=PROPOSAL_WIDTHS,
        total=proposal_total_row(table.totals),
    )


def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return page_cache.render_page(
        request,
        "committee/proposal_detail.html",
        lambda content: _proposal_detail_context(pk),
    )


def _proposal_detail_context(pk: int) -> dict:
    """The proposal with its decisions (latest first, each with what it did to this proposal)
    and the consultation answers that name it (with the other proposals they name)."""
    proposal = get_object_or_404(
        _proposal_rows().prefetch_related(
            Prefetch(
                "outcomes",
                queryset=DecisionOutcome.objects.select_related("decision__source").order_by(
                    *latest_first("decision__")
                ),
            ),
            Prefetch(
                "consultation_answers",
                queryset=ConsultationAnswer.objects.select_related("source").prefetch_related(
                    Prefetch("proposals", queryset=BudgetProposal.objects.order_by("code"))
                ),
            ),
        ),
        pk=pk,
    )
    outcomes = list(proposal.outcomes.all())
    return {"proposal": proposal, "outcomes": outcomes, "latest": outcomes[0] if outcomes else None}
