"""Published statements for citizens, the elder council and journalists, without a login.

Only statements whose publication is recorded (grants.models.StatementStep PUBLISHED) exist here:
anything else, drafts and submitted but unpublished statements included, is a 404. The pages
show the ministry's form exactly as the logged-in page does, without what is the municipality's
own (history, initiatives, accounts), and may be cached by browsers and proxies.
"""

from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control

from grants import cache
from grants.exports import (
    csv_content,
    statement_filename,
    statement_workbook,
    year_summary_rows,
    year_workbook,
)
from grants.models import GrantYear, Statement, StatementStep
from grants.permissions import statement_queryset
from grants.rules import statement_figures
from grants.views import XLSX, statement_body, until_settled

PUBLIC = cache_control(public=True, max_age=600)


def published() -> QuerySet[Statement]:
    return statement_queryset().filter(
        status=Statement.Status.SUBMITTED, steps__kind=StatementStep.Kind.PUBLISHED
    )


def _published_statement(code: str, programme: str, year: int) -> Statement:
    return get_object_or_404(
        published(),
        grant__municipality__code=code,
        grant__grant_year__programme__slug=programme,
        grant__grant_year__year=year,
    )


@login_not_required
@PUBLIC
def index(request: HttpRequest) -> HttpResponse:
    statements = (
        published()
        .select_related("grant__grant_year__programme")
        .order_by(
            "grant__grant_year__programme__first_year",
            "grant__grant_year__year",
            "grant__municipality__name",
        )
    )
    years: dict[GrantYear, list[Statement]] = {}
    for s in statements:
        years.setdefault(s.grant.grant_year, []).append(s)
    return render(request, "public/index.html", {"years": list(years.items())})


@login_not_required
@PUBLIC
def statement(
    request: HttpRequest, code: str, programme: str, year: int, printable: bool = False
) -> HttpResponse:

    def read() -> tuple[Statement, str]:  # again if it changed (unpublished, reopened) meanwhile
        found = _published_statement(code, programme, year)
        body = cache.for_statement(
            found,
            f"public-{get_language()}",
            lambda: statement_body(found.pk, version=found.version, public=True),
        )
        return found, body

    found, body = until_settled(read)
    template = "public/statement_print.html" if printable else "public/statement.html"
    return render(
        request,
        template,
        {"statement": found, "grant_year": found.grant.grant_year, "body": body},
    )


@login_not_required
@PUBLIC
def statement_export(request: HttpRequest, code: str, programme: str, year: int) -> HttpResponse:
    """The ministry's workbook of a published statement (its form only: no accounts)."""
    found = _published_statement(code, programme, year)
    response = HttpResponse(
        cache.for_statement(
            found, "public-xlsx", lambda: statement_workbook(found, statement_figures(found))
        ),
        content_type=XLSX,
    )
    response["Content-Disposition"] = f'attachment; filename="{statement_filename(found)}"'
    return response


@login_not_required
@PUBLIC
def open_data(request: HttpRequest, programme: str, year: int, fmt: str) -> HttpResponse:
    """Every published statement of a programme-year, a row each (CSV) or a row each and a
    sheet each (xlsx)."""
    grant_year = get_object_or_404(GrantYear, programme__slug=programme, year=year, has_form=True)
    statements = list(published().filter(grant__grant_year=grant_year))
    if not statements:
        raise Http404
    if fmt == "csv":
        content = csv_content(year_summary_rows(grant_year, statements, every_municipality=False))
        content_type = "text/csv; charset=utf-8"
    else:
        content = year_workbook(grant_year, statements, every_municipality=False)
        content_type = XLSX
    response = HttpResponse(content, content_type=content_type)
    name = f"offentliggjorte-redegoerelser-{programme}-{year}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
