import sys
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.cache import cache as django_cache
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Prefetch, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from grants import cache
from grants.charts import budget_actual_chart
from grants.exports import (
    csv_content,
    statement_filename,
    statement_workbook,
    year_statements,
    year_summary_rows,
    year_workbook,
)
from grants.forms import (
    AccountsForm,
    ConfirmForm,
    GrantForm,
    InitiativeForm,
    ReopenForm,
    StatementForm,
    StepForm,
)
from grants.imports import (
    MAX_FILE_BYTES,
    ParsedStatement,
    WorkbookRefused,
    parse_statement_workbook,
)
from grants.models import (
    DEFAULT_PROGRAMME,
    AuditChange,
    AuditEvent,
    GrantYear,
    Initiative,
    Municipality,
    Statement,
    StatementStep,
)
from grants.money import AmountError, format_kroner, parse_kroner
from grants.permissions import (
    check_statement_access,
    check_write,
    get_statement_for_user,
    is_admin,
    is_writer,
    membership,
    sees_drafts_of,
    statement_queryset,
)
from grants.rules import (
    Issue,
    Reconciliation,
    StatementFigures,
    accounts_figures,
    reconcile,
    statement_figures,
)
from grants.services import (
    AccountsChangedOnApproval,
    AccountsFrozen,
    AccountsRulesNotMet,
    GrantExists,
    InitiativeKeyTaken,
    NotSubmitted,
    RulesNotMet,
    SameApprover,
    StaleVersion,
    StatementError,
    StatementFrozen,
    StatementValues,
    approve_accounts,
    check_import,
    import_statement,
    last_year_split,
    record_step,
    register_grant,
    reopen_accounts,
    reopen_statement,
    reopen_step,
    save_accounts,
    save_initiative,
    save_statement,
    submit_statement,
)
from grants.tasks import admin_tasks, by_programme, municipality_tasks, next_move

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# A database that cannot be reached, or (with CACHE_URL) a Redis that cannot: "try again later".
UNAVAILABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


# When even our error page cannot be rendered: plain words, no template, no static file.
FALLBACK_ERROR_PAGE = (
    '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Fejl – Tilskudsregnskab'
    "</title></head><body><h1>Der opstod en fejl</h1><p>Intet er ændret. Prøv igen om lidt.</p>"
    '<p><a href="/">Til forsiden</a></p></body></html>'
)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    """Our own 500 page, and a 503 while the database cannot be reached (as /healthz answers).
    Rendered without the database: the error may be that it is gone."""
    unavailable = isinstance(sys.exc_info()[1], UNAVAILABLE)
    template, status = ("errors/503.html", 503) if unavailable else ("errors/500.html", 500)
    try:
        content = render_to_string(template)
    except Exception:  # the page itself failed (e.g. a static file missing from the manifest)
        content = FALLBACK_ERROR_PAGE
    response = HttpResponse(content, status=status)
    if unavailable:
        response["Retry-After"] = "30"
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Our 403 (handler403): what the user may not do, which role may, and a way back."""
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Our 404 (handler404), with the header and a way back."""
    return render(request, "errors/404.html", status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from a page too old, or after logging out; nothing saved."""
    return render(request, "errors/403_csrf.html", status=403)


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on their own: our SVG icon in static/."""
    return redirect(static("favicon.svg"))


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the app, its database and its cache answer, 503 otherwise (with CACHE_URL the
    cache is a Redis every page needs: it holds the sessions)."""
    status = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        status["database"] = "unavailable"
    try:
        django_cache.get("healthz")
    except Exception:  # noqa: BLE001 - any cache failure means "not healthy"
        status["cache"] = "unavailable"
    healthy = set(status.values()) == {"ok"}
    return JsonResponse(
        {"status": "ok" if healthy else "error", **status}, status=200 if healthy else 503
    )


class StatementMoved(Exception):
    """The statement changed between the check of who may see it and the building of its page
    (a write committed in between): the page is built again on the statement as it is now."""


def statement_body(
    pk: int, *, version: int, draft_accounts: bool = False, public: bool = False
) -> str:
    """The statement page's body: the form, its figures and rule checks, the steps after
    submission, and the accounts with their charts. The same for every reader it is rendered for
    (so cacheable per data version): `draft_accounts` shows accounts that are not yet approved
    (their municipality's readers only); `public` leaves out what is the municipality's own
    (the initiatives' reconciliation, the accounts). `version`: the statement's version the
    caller decided access on; StatementMoved if it is no longer that one."""
    statement = statement_queryset().get(pk=pk)
    if statement.version != version:
        raise StatementMoved
    grant_year = statement.grant.grant_year
    accounts = accounts_figures(statement)
    show_accounts = not public and (statement.accounts_approved or draft_accounts)
    charts = []
    if statement.accounts_status and show_accounts:
        for table, title in (
            (accounts.table1, grant_year.table1_title),
            (accounts.table2, grant_year.table2_title),
        ):
            charts.append(
                budget_actual_chart(
                    table,
                    chart_id=f"accounts-{table.table}",
                    title=_("%(title)s: budget og regnskab") % {"title": title},
                    table_caption=_("%(title)s: budget og regnskab") % {"title": title},
                )
            )
    figures = statement_figures(statement)
    return render_to_string(
        "grants/statement_body.html",
        cache.GUARDS
        | {
            "statement": statement,
            "grant_year": grant_year,
            "figures": figures,
            "accounts": accounts,
            "accounts_charts": charts,
            "reconciliation": None if public else statement_reconciliation(statement, figures),
            "show_accounts": show_accounts,
            "public": public,
            "steps": steps_of(statement) if statement.is_submitted else [],
        },
    )


def steps_of(statement: Statement) -> list[dict]:
    """The steps after submission in their order, each recorded (the StatementStep) or not."""
    recorded = {step.kind: step for step in statement.steps.select_related("recorded_by")}
    return [
        {"kind": kind, "label": StatementStep.Kind(kind).label, "step": recorded.get(kind)}
        for kind in StatementStep.ORDER
    ]


def funded_initiatives(statement: Statement) -> QuerySet[Initiative]:
    """The municipality's initiatives funded by the statement's programme (two queries)."""
    return (
        Initiative.objects.filter(
            municipality_id=statement.grant.municipality_id,
            programme_id=statement.grant.grant_year.programme_id,
        )
        .select_related("programme")
        .prefetch_related("amounts")
        .order_by("title")
    )


def statement_reconciliation(statement: Statement, figures: StatementFigures) -> Reconciliation:
    return reconcile(
        grant=figures.grant,
        grant_year=statement.grant.grant_year,
        table1=figures.table1.rows,
        initiatives=funded_initiatives(statement),
    )


def statement_detail(request: HttpRequest, code: str, programme: str, year: int) -> HttpResponse:
    """The statement page. Its content (toolbar, form, accounts) is cached whole under the data
    version, the reader's scope and, for finance staff, the reader (their next move depends on
    who entered the accounts); who may see the statement is decided by the scope alone, so a
    reader of the same scope at the same version gets the same answer. An administrator's page
    carries the steps' reopen forms with their CSRF tokens and is rendered for each request."""
    reader = cache.scope(request)
    # Only a finance officer's own page depends on who they are (and they are in its key).
    user_id = request.user.pk if reader.is_writer else None

    def page() -> HttpResponse:
        if reader.is_admin:
            context = _statement_page(code, programme, year, reader, user_id)
            return render(request, "grants/statement_detail.html", context)
        return cache.render_page(
            request,
            "grants/statement_detail.html",
            lambda _content: _statement_page(code, programme, year, reader, user_id),
            vary=(user_id,),
            query=False,
        )

    return until_settled(page)


def until_settled(build: Callable[[], Any]) -> Any:
    """`build()`, built again (at most twice more) if the statement changed under it: a write
    committed meanwhile and advanced the data version, so the next try reads it all afresh."""
    for _attempt in range(2):
        try:
            return build()
        except StatementMoved:
            pass
    return build()


def _statement_page(
    code: str, programme: str, year: int, reader: cache.Scope, user_id: int | None
) -> dict:
    # One read of the data version for the statement, its body and its steps.
    version = cache.data_version()
    statement = cache.statement_at(code, programme, year, version=version)
    municipality_id = statement.grant.municipality_id
    if not reader.may_read(statement):
        raise Http404  # another municipality's draft: as if it were not there
    draft_accounts = reader.sees_drafts_of(municipality_id)
    body = cache.for_statement(
        statement,
        f"page-{get_language()}-{draft_accounts}",
        lambda: statement_body(
            statement.pk, version=statement.version, draft_accounts=draft_accounts
        ),
        version=version,
    )
    can_edit = reader.may_write(municipality_id)
    recorded = []
    if statement.is_submitted and can_edit:
        recorded = cache.for_statement(
            statement,
            "steps",
            lambda: list(statement.steps.values_list("kind", flat=True)),
            version=version,
        )
    # The one primary action for the state the statement is in (the landing's, too).
    move = next_move(statement, recorded=set(recorded), user_id=user_id) if can_edit else None
    return {
        "statement": statement,
        "grant_year": statement.grant.grant_year,
        "body": body,  # a SafeString from render_to_string (pickled as such in the cache)
        "can_edit": can_edit,
        "move": move,
        "recorded_steps": [(k, StatementStep.Kind(k).label) for k in recorded],
    }


def export_statement_bytes(pk: int, *, draft_accounts: bool = False) -> bytes:
    """The statement's workbook; its "Regnskab" sheet once the accounts are approved, or begun
    for a reader who may see the municipality's drafts."""
    statement = statement_queryset().get(pk=pk)
    show = statement.accounts_approved or draft_accounts
    return statement_workbook(
        statement, statement_figures(statement), accounts_figures(statement) if show else None
    )


def statement_export(request: HttpRequest, code: str, programme: str, year: int) -> HttpResponse:
    statement = get_statement_for_user(request.user, code, programme, year, lines=False)
    version = cache.data_version()
    drafts = sees_drafts_of(request.user, statement.grant.municipality_id)
    return cache.download(
        request,
        etag=f"statement-{statement.pk}-{statement.version}-{version}-{drafts:d}",
        filename=statement_filename(statement),
        content_type=XLSX,
        build=lambda: cache.for_statement(
            statement,
            f"xlsx-{drafts}",
            lambda: export_statement_bytes(statement.pk, draft_accounts=drafts),
            version=version,
        ),
    )


# --- The URLs before programmes ---------------------------------------------------------------


def _moved(request: HttpRequest, path: str) -> HttpResponse:
    """A permanent redirect keeping the query string: 301 for reading, 308 for a form sent to an
    old address (a 301 would let the browser resend it as a GET)."""
    query = request.META.get("QUERY_STRING", "")
    target = path + (f"?{query}" if query else "")
    if request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect(target)
    response = HttpResponsePermanentRedirect(target)
    response.status_code = 308
    return response


@login_not_required
def old_statement_url(request: HttpRequest, code: str, year: str, rest: str) -> HttpResponse:
    """/statements/<code>/<year>/… → the same page of that year's Værdighedsmilliarden."""
    return _moved(request, f"/statements/{code}/{DEFAULT_PROGRAMME}/{year}/{rest}")


@login_not_required
def old_year_url(request: HttpRequest, year: str, rest: str) -> HttpResponse:
    """/years/<year>/… (the year's workbook, CSV and comparison) → Værdighedsmilliarden's."""
    return _moved(request, f"/years/{DEFAULT_PROGRAMME}/{year}/{rest}")


# --- Finance staff: writing -------------------------------------------------------------------


def _statement_url(statement: Statement, name: str = "grants:statement") -> str:
    return statement.url(name.removeprefix("grants:"))


def _error_summary(form, issues: list[Issue]) -> list[dict]:
    """Every problem once, each linking to the field it concerns."""
    out = []
    for name, errors in form.errors.items():
        target = form[name].auto_id if name in form.fields else ""
        for error in errors:
            out.append({"message": error, "target": target})
    for issue in issues:
        target = form[issue.field_id].auto_id if issue.field_id in form.fields else ""
        out.append({"message": issue.message, "target": target})
    return out


def _edit_form_html(statement: Statement, form: StatementForm) -> str:
    """Everything inside the entry form but its CSRF token (grants/statement_edit_form.html),
    rendered without the request: the same for every user who may edit the statement."""
    if form.is_bound:
        form.is_valid()  # figures of what was typed need the cleaned values
    figures = form.figures() if form.is_bound else statement_figures(statement)
    grant_year = statement.grant.grant_year
    tables = [
        {
            "figures": table,
            "title": title,
            "note": note,
            "rows": [form.entry_row(f.row) for f in table.rows],
        }
        for table, title, note in (
            (figures.table1, grant_year.table1_title, grant_year.table1_note),
            (figures.table2, grant_year.table2_title, grant_year.table2_note),
        )
    ]
    return render_to_string(
        "grants/statement_edit_form.html",
        cache.GUARDS
        | {
            "grant_year": grant_year,
            "form": form,
            "figures": figures,
            "tables": tables,
            "tables_empty": not (figures.table1.total or figures.table2.total),
            "has_previous": Statement.objects.filter(
                grant__municipality=statement.grant.municipality,
                grant__grant_year__programme_id=grant_year.programme_id,
                grant__grant_year__year__lt=grant_year.year,
            ).exists(),
            "has_initiatives": funded_initiatives(statement).exists(),
        },
    )


def _render_edit(
    request,
    statement,
    form=None,
    *,
    form_html: str | None = None,
    submit_errors=(),
    nothing_saved=False,
    status=200,
):
    """The entry page: `form`'s fields (typed values and their errors), or `form_html`, the saved
    draft's form already rendered (statement_edit's GET, cached under the data version)."""
    if form_html is None:
        form_html = _edit_form_html(statement, form)
    return render(
        request,
        "grants/statement_edit.html",
        {
            "statement": statement,
            "grant_year": statement.grant.grant_year,
            "form_html": form_html,  # a SafeString from render_to_string
            "summary": _error_summary(form, list(submit_errors)) if form is not None else [],
            "nothing_saved": nothing_saved,
        },
        status=status,
    )


def _render_frozen(request, statement, status=200):
    return render(
        request,
        "grants/statement_frozen.html",
        {"statement": statement, "reopen_form": ReopenForm(), "can_reopen": is_admin(request.user)},
        status=status,
    )


def _render_conflict(request, form, current: Statement, *, accounts: bool = False):
    """A save based on an old version (of the statement or of its accounts): show what the
    other person saved beside the user's own values, overwrite nothing, and offer both ways on."""
    saved = statement_queryset().get(pk=current.pk)
    prefix = "actual" if accounts else "amount"
    rows = []
    for line in saved.lines.all():
        mine = (form.data.get(f"{prefix}-{line.row_id}") or "").strip()
        theirs = format_kroner(line.actual if accounts else line.amount, danish=True)
        label = line.row.accounts_label if accounts else line.row.qualified_label
        rows.append({"label": label, "theirs": theirs, "mine": mine, "differs": mine != theirs})
    other = (
        AuditEvent.objects.filter(statement=saved)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    keep = form.data.copy()
    keep["version"] = saved.version
    context = {
        "statement": saved,
        "rows": rows,
        "other": other,
        "target": _statement_url(
            saved, "grants:statement_accounts" if accounts else "grants:statement_edit"
        ),
        "keep": [
            (k, v)
            for k in keep
            for v in keep.getlist(k)
            if k not in ("csrfmiddlewaretoken", "action")
        ],
    }
    if not accounts:
        context |= {
            "theirs_box1": saved.box1,
            "mine_box1": form.data.get("box1", ""),
            "theirs_grant": format_kroner(saved.grant.amount, danish=True),
            "mine_grant": form.data.get("grant", ""),
            "show_grant": True,
        }
    return render(request, "grants/statement_conflict.html", context, status=409)


@require_http_methods(["GET", "POST"])
def statement_edit(request: HttpRequest, code: str, programme: str, year: int) -> HttpResponse:
    if request.method == "GET":
        # The saved draft as it is: the statement and its form from the cache under one data
        # version (any save advances it), built once per version.
        version = cache.data_version()
        statement = cache.statement_at(code, programme, year, version=version)
        check_statement_access(request.user, statement, write=True)
    else:
        statement = get_statement_for_user(request.user, code, programme, year, write=True)
    if statement.is_submitted:
        # Frozen (rule 3): a write is refused, whatever it carries.
        return _render_frozen(request, statement, status=409 if request.method == "POST" else 200)
    if not statement.grant.grant_year.has_form:
        messages.info(
            request,
            _("Redegørelsesskemaet for året findes ikke i kilderne, så der er intet at udfylde."),
        )
        return redirect(statement.url())
    if request.method == "GET":

        def saved_form() -> str:
            full = statement_queryset().get(pk=statement.pk)  # with its lines and their rows
            return _edit_form_html(full, StatementForm(full))

        form_html = cache.for_statement(
            statement, f"entry-form-{get_language()}", saved_form, version=version, drafts=True
        )
        return _render_edit(request, statement, form_html=form_html)

    action = request.POST.get("action", "save")
    form = StatementForm(statement, request.POST)
    if action == "initiatives":
        # Tabel 1 from the initiatives the programme funds this year, row by row.
        rec = statement_reconciliation(statement, statement_figures(statement))
        if not rec.total:
            messages.error(request, _("Ingen indsatser med kendte beløb at fordele efter."))
            return _render_edit(request, statement, form)
        data = request.POST.copy()
        for r in rec.rows:
            data[f"amount-{r.row.pk}"] = format_kroner(r.initiatives, danish=True)
        note = _(
            "Tabel 1 er udfyldt med indsatsernes beløb pr. række. Intet er gemt endnu: "
            "kontrollér tallene og tryk 'Gem kladde'."
        )
        if rec.unlinked_total:
            note += " " + _(
                "%(amount)s kr. fra indsatser, der ikke hører til en række, er ikke fordelt."
            ) % {"amount": format_kroner(rec.unlinked_total)}
        messages.info(request, note)
        return _render_edit(request, statement, StatementForm(statement, data))
    if action == "prefill":
        # Scale to the grant as typed, where it reads as an amount; else to the saved grant.
        try:
            typed = parse_kroner(request.POST.get("grant", ""))
        except AmountError:
            typed = None
        values = last_year_split(statement=statement, grant_amount=typed)
        if values is None:
            messages.error(request, _("Der er ingen tidligere redegørelse med tal at starte fra."))
            return _render_edit(request, statement, form)
        data = request.POST.copy()
        for pk, amount in values.amounts.items():
            data[f"amount-{pk}"] = format_kroner(amount, danish=True)
        messages.info(
            request,
            _(
                "Tabellerne er udfyldt med sidste års fordeling skaleret til årets tilskud. "
                "Intet er gemt endnu: kontrollér tallene og tryk 'Gem kladde'."
            ),
        )
        return _render_edit(request, statement, StatementForm(statement, data))
    if not form.is_valid():
        return _render_edit(request, statement, form, nothing_saved=True, status=400)
    try:
        save_statement(
            statement=statement,
            values=form.values(),
            acting_user=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except StaleVersion as error:
        return _render_conflict(request, form, error.current)
    except StatementFrozen:
        return _render_frozen(request, statement_queryset().get(pk=statement.pk), status=409)
    if action == "submit":
        # "Indsend" saves the draft and leads to the review page, where only the confirmation
        # submits (DESIGN.md rule 2); what still stops it is named here first.
        statement = statement_queryset().get(pk=statement.pk)
        errors = statement_figures(statement).errors
        if errors:
            messages.warning(
                request, _("Kladden er gemt, men redegørelsen kan ikke indsendes endnu.")
            )
            return _render_edit(
                request, statement, StatementForm(statement), submit_errors=errors, status=400
            )
        return redirect(_statement_url(statement, "grants:statement_review"))
    messages.success(request, _("Kladden er gemt."))
    return redirect(_statement_url(statement, "grants:statement_edit"))


@require_http_methods(["GET", "POST"])
def statement_review(request: HttpRequest, code: str, programme: str, year: int) -> HttpResponse:
    """ "Tjek og indsend": both tables with their totals, Boks 1 and 2, every remaining warning
    and what happens next; only the confirmation here submits (with the version check)."""
    statement = get_statement_for_user(request.user, code, programme, year, write=True)
    if statement.is_submitted:
        return _render_frozen(request, statement, status=409 if request.method == "POST" else 200)
    figures = statement_figures(statement)
    status = 200
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        if form.is_valid():
            try:
                submit_statement(
                    statement=statement,
                    acting_user=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersion:
                messages.error(
                    request,
                    _(
                        "Redegørelsen er ændret, siden du åbnede gennemsynet. Intet er indsendt; "
                        "se den nye version igennem."
                    ),
                )
                return redirect(_statement_url(statement, "grants:statement_review"))
            except RulesNotMet as error:
                figures = StatementFigures(
                    figures.grant,
                    figures.table1,
                    figures.table2,
                    figures.box2_confirmed,
                    error.errors,
                    figures.warnings,
                )
                status = 400
            else:
                messages.success(
                    request,
                    _(
                        "Redegørelsen er indsendt og kan ikke længere ændres. Næste skridt: "
                        "kommunalbestyrelsen (byrådet) godkender den, og den sendes til "
                        "ministeriet. Registrér hvert trin her, når det er sket."
                    ),
                )
                return redirect(_statement_url(statement))
        else:
            status = 400
    return render(
        request,
        "grants/statement_review.html",
        {
            "statement": statement,
            "grant_year": statement.grant.grant_year,
            "figures": figures,
            "version": statement.version,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def statement_step(
    request: HttpRequest, code: str, programme: str, year: int, kind: str
) -> HttpResponse:
    """Finance staff record the council's approval, the sending to the ministry or the
    publication of a submitted statement."""
    if kind not in StatementStep.ORDER:
        raise Http404
    statement = get_statement_for_user(request.user, code, programme, year, write=True)
    form = StepForm(kind, request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            record_step(
                statement=statement, kind=kind, acting_user=request.user, **form.cleaned_data
            )
        except StatementError as error:
            form.add_error(None, str(error))
            status = 409
        else:
            messages.success(
                request,
                _("Registreret: %(step)s.") % {"step": StatementStep.Kind(kind).label},
            )
            return redirect(_statement_url(statement))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "grants/statement_step.html",
        {
            "statement": statement,
            "grant_year": statement.grant.grant_year,
            "form": form,
            "kind_label": StatementStep.Kind(kind).label,
        },
        status=status,
    )


@require_POST
def statement_step_reopen(
    request: HttpRequest, code: str, programme: str, year: int, kind: str
) -> HttpResponse:
    """Administrators take back a recorded step (and those after it), with a reason."""
    statement = get_statement_for_user(request.user, code, programme, year)
    if not is_admin(request.user):
        raise PermissionDenied
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Angiv en begrundelse for genåbningen."))
        return redirect(_statement_url(statement))
    try:
        reopen_step(
            statement=statement,
            kind=kind,
            acting_user=request.user,
            reason=form.cleaned_data["reason"],
        )
    except StatementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Trinnet er genåbnet og kan registreres igen."))
    return redirect(_statement_url(statement))


def _reopen(
    request: HttpRequest, code: str, programme: str, year: int, *, accounts: bool
) -> HttpResponse:
    """Administrators reopen a submitted statement or approved accounts, with a reason."""
    statement = get_statement_for_user(request.user, code, programme, year)
    if not is_admin(request.user):
        raise PermissionDenied
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Angiv en begrundelse for genåbningen."))
        if accounts:
            return redirect(_statement_url(statement, "grants:statement_accounts"))
        return _render_frozen(request, statement, status=400)
    reopen = reopen_accounts if accounts else reopen_statement
    try:
        reopen(statement=statement, acting_user=request.user, reason=form.cleaned_data["reason"])
    except StatementError as error:  # not submitted, accounts begun, steps recorded …
        messages.error(request, str(error))
        return redirect(_statement_url(statement))
    if accounts:
        messages.success(request, _("Regnskabet er genåbnet og er nu en kladde."))
        return redirect(_statement_url(statement, "grants:statement_accounts"))
    messages.success(request, _("Redegørelsen er genåbnet og er nu en kladde."))
    return redirect(_statement_url(statement, "grants:statement_edit"))


@require_POST
def statement_reopen(request: HttpRequest, code: str, programme: str, year: int) -> HttpResponse:
    return _reopen(request, code, programme, year, accounts=False)


def statement_history(request: HttpRequest, code: str, programme: str, year: int) -> HttpResponse:
    statement = get_statement_for_user(request.user, code, programme, year)
    events = (
        AuditEvent.objects.filter(statement=statement)
        .select_related("actor", "source")
        .prefetch_related(Prefetch("changes", AuditChange.objects.select_related("row")))
    )
    if not statement.accounts_approved and not sees_drafts_of(
        request.user, statement.grant.municipality_id
    ):
        # Accounts not yet approved are the municipality's own, their history too.
        accounts = (
            AuditChange.Field.ACTUAL,
            AuditChange.Field.ACCOUNTS_STATUS,
            AuditChange.Field.UNSPENT,
        )
        events = events.exclude(changes__field__in=accounts)
    return render(
        request, "grants/statement_history.html", {"statement": statement, "events": events}
    )


def tasks(request: HttpRequest) -> HttpResponse:
    """The landing of finance staff ("Dine opgaver"): each programme-year of their municipality
    with its status, deadline and the one next action; administrators see what they keep.
    Cached under the data version for this user (the accounts' four eyes depend on who asks)
    and today (the deadlines)."""
    if not is_writer(request.user):
        raise PermissionDenied
    own = membership(request.user)
    municipality = own.municipality if own is not None else None
    admin, user_id = is_admin(request.user), request.user.pk

    def build(content: cache.ContentRequest) -> dict:
        groups = []
        if municipality is not None:
            groups = by_programme(municipality_tasks(municipality, user_id=user_id))
        return {
            "municipality": municipality,
            "groups": groups,
            "admin": admin_tasks() if admin else None,
        }

    today = timezone.localdate().isoformat()
    return cache.render_page(
        request, "grants/tasks.html", build, vary=(user_id, today), query=False
    )


@require_http_methods(["GET", "POST"])
def grant_new(request: HttpRequest) -> HttpResponse:
    if not is_writer(request.user):
        raise PermissionDenied
    own = None if is_admin(request.user) else membership(request.user).municipality
    # "Registrér tilskud" on the landing preselects its programme-year.
    initial = {"grant_year": request.GET.get("grant_year")}
    form = GrantForm(request.POST or None, municipality=own, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            statement = register_grant(
                municipality=form.cleaned_data["municipality"],
                grant_year=form.cleaned_data["grant_year"],
                amount=form.cleaned_data["amount"],
                acting_user=request.user,
            )
        except GrantExists as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Tilskuddet er registreret. Fordel det i tabellerne."))
            return redirect(_statement_url(statement, "grants:statement_edit"))
    return render(
        request,
        "grants/grant_form.html",
        {"form": form, "municipality": own},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def initiative_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        if not is_writer(request.user):
            raise PermissionDenied
        initiative = Initiative()
    else:
        initiative = get_object_or_404(Initiative.objects.select_related("municipality"), pk=pk)
        check_write(request.user, initiative.municipality)
    own = None if is_admin(request.user) else membership(request.user).municipality
    form = InitiativeForm(request.POST or None, instance=initiative)
    if pk is None and own is None:
        form.fields["municipality"] = forms.ModelChoiceField(
            Municipality.objects.all(), label=_("Kommune"), to_field_name="code"
        )
    if request.method == "POST" and form.is_valid():
        initiative = form.instance
        if pk is None:
            initiative.municipality = own or form.cleaned_data["municipality"]
        try:
            save_initiative(initiative=initiative, amounts=form.amounts(), acting_user=request.user)
        except InitiativeKeyTaken as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Indsatsen er gemt."))
            return redirect("committee:initiative", pk=initiative.pk)
    return render(
        request,
        "grants/initiative_form.html",
        {"form": form, "initiative": initiative},
        status=400 if form.errors else 200,
    )


# --- Spreadsheets in ---------------------------------------------------------------------------

IMPORT_SALT = "grants.import-preview"


def _pack_import(statement: Statement, parsed: ParsedStatement, filename: str) -> str:
    """The previewed values, signed so the confirmation applies exactly what was shown."""
    v = parsed.values
    return signing.dumps(
        {
            "statement": statement.pk,
            "version": statement.version,
            "filename": filename,
            "municipality": parsed.municipality.pk,
            "grant_year": parsed.grant_year.pk,
            "amounts": {str(k): a for k, a in v.amounts.items()},
            "specifications": {str(k): t for k, t in v.specifications.items()},
            "box1": v.box1,
            "box2_confirmed": v.box2_confirmed,
            "grant": v.grant,
            "actuals": None
            if parsed.actuals is None
            else {str(k): a for k, a in parsed.actuals.items()},
        },
        salt=IMPORT_SALT,
        compress=True,
    )


def _unpack_import(token: str) -> tuple[dict, ParsedStatement]:
    data = signing.loads(token, salt=IMPORT_SALT, max_age=3600)
    values = StatementValues(
        amounts={int(k): a for k, a in data["amounts"].items()},
        specifications={int(k): t for k, t in data["specifications"].items()},
        box1=data["box1"],
        box2_confirmed=data["box2_confirmed"],
        grant=data["grant"],
    )
    actuals = data["actuals"]
    parsed = ParsedStatement(
        Municipality.objects.get(pk=data["municipality"]),
        GrantYear.objects.get(pk=data["grant_year"]),
        values,
        actuals=None if actuals is None else {int(k): a for k, a in actuals.items()},
    )
    return data, parsed


@require_http_methods(["GET", "POST"])
def statement_import(request: HttpRequest, code: str, programme: str, year: int) -> HttpResponse:
    """Upload a filled workbook, see every change, confirm. An import never submits."""
    statement = get_statement_for_user(request.user, code, programme, year, write=True)
    context = {"statement": statement, "grant_year": statement.grant.grant_year}
    if statement.is_submitted and statement.accounts_approved:
        return _render_frozen(request, statement, status=409 if request.method == "POST" else 200)
    if request.method == "GET":
        return render(request, "grants/statement_import.html", context)

    if "token" in request.POST:  # the confirmation of a preview
        try:
            data, parsed = _unpack_import(request.POST["token"])
        except (signing.BadSignature, KeyError, ValueError):
            messages.error(
                request, _("Forhåndsvisningen er udløbet eller ugyldig. Indlæs filen igen.")
            )
            return render(request, "grants/statement_import.html", context, status=400)
        if data["statement"] != statement.pk:
            raise Http404
        try:
            entries = import_statement(
                statement=statement,
                parsed=parsed,
                acting_user=request.user,
                filename=data["filename"],
                expected_version=data["version"],
            )
        except StaleVersion as error:
            return _render_conflict_import(request, statement, error)
        except (StatementFrozen, AccountsFrozen) as error:
            return render(
                request,
                "grants/statement_import.html",
                {**context, "errors": [str(error)]},
                status=409,
            )
        except StatementError as error:
            return render(
                request,
                "grants/statement_import.html",
                {**context, "errors": getattr(error, "errors", [str(error)])},
                status=400,
            )
        messages.success(
            request,
            ngettext(
                "Regnearket er indlæst: %(count)s ændring gemt som kladde.",
                "Regnearket er indlæst: %(count)s ændringer gemt som kladde.",
                len(entries),
            )
            % {"count": len(entries)}
            if entries
            else _("Regnearket er indlæst: der var intet at ændre."),
        )
        target = "grants:statement_accounts" if statement.is_submitted else "grants:statement_edit"
        return redirect(_statement_url(statement, target))

    upload = request.FILES.get("file")
    if upload is None:
        return render(
            request,
            "grants/statement_import.html",
            {**context, "errors": [_("Vælg en fil at indlæse.")]},
            status=400,
        )
    if upload.size > MAX_FILE_BYTES:
        return render(
            request,
            "grants/statement_import.html",
            {**context, "errors": [_("Filen er for stor. Et regneark må højst fylde 2 MB.")]},
            status=400,
        )
    filename = upload.name[:200]
    try:
        parsed = parse_statement_workbook(upload.read())
    except WorkbookRefused as error:
        return render(
            request,
            "grants/statement_import.html",
            {**context, "errors": [str(error)], "filename": filename},
            status=400,
        )
    try:
        changes = check_import(statement=statement, parsed=parsed)
    except StatementError as error:
        frozen = isinstance(error, StatementFrozen | AccountsFrozen)
        return render(
            request,
            "grants/statement_import.html",
            {**context, "errors": getattr(error, "errors", [str(error)]), "filename": filename},
            status=409 if frozen else 400,
        )
    return render(
        request,
        "grants/statement_import.html",
        {
            **context,
            "filename": filename,
            "changes": changes,
            "token": _pack_import(statement, parsed, filename),
        },
    )


def _render_conflict_import(request, statement, error):
    messages.error(
        request,
        _(
            "Redegørelsen er ændret, siden forhåndsvisningen blev lavet. Intet er indlæst; "
            "indlæs filen igen for at se ændringerne mod den nye version."
        ),
    )
    return render(
        request,
        "grants/statement_import.html",
        {"statement": statement, "grant_year": statement.grant.grant_year},
        status=409,
    )


# --- Spreadsheets out: a whole year -------------------------------------------------------------


def _year_download(request: HttpRequest, programme: str, year: int, fmt: str) -> HttpResponse:
    """A whole year, as much of it as the reader may see: the submitted statements, and their
    own municipality's drafts (grants.permissions)."""
    grant_year = get_object_or_404(GrantYear, programme__slug=programme, year=year)
    scope = cache.scope(request)

    def build() -> bytes | str:
        statements = year_statements(grant_year, request.user)
        if fmt == "xlsx":
            return year_workbook(grant_year, statements)
        return csv_content(year_summary_rows(grant_year, statements))

    return cache.download(
        request,
        etag=f"year-{grant_year.pk}-{fmt}-{cache.data_version()}-{scope.is_admin:d}-"
        f"{scope.municipality_id}",
        filename=f"redegoerelser-{programme}-{year}.{fmt}",
        content_type=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8",
        build=build,
    )


def year_export_xlsx(request: HttpRequest, programme: str, year: int) -> HttpResponse:
    return _year_download(request, programme, year, "xlsx")


def year_export_csv(request: HttpRequest, programme: str, year: int) -> HttpResponse:
    return _year_download(request, programme, year, "csv")


# --- The accounts (regnskab) ---------------------------------------------------------------------


def _render_accounts(request, statement, form, *, errors=(), refusal="", status=200):
    if form.is_bound:
        form.is_valid()
    figures = form.figures() if form.is_bound else accounts_figures(statement)
    grant_year = statement.grant.grant_year
    tables = [
        {
            "figures": table,
            "title": title,
            "rows": [{"r": r, "field": form.actual_field(r.row)} for r in table.rows],
        }
        for table, title in (
            (figures.table1, grant_year.table1_title),
            (figures.table2, grant_year.table2_title),
        )
    ]
    summary = _error_summary(form, list(errors))
    return render(
        request,
        "grants/statement_accounts.html",
        {
            "statement": statement,
            "grant_year": grant_year,
            "form": form,
            "figures": figures,
            "tables": tables,
            "summary": summary,
            "refusal": refusal,
            "entered_by_me": statement.accounts_entered_by_id == request.user.pk,
            "can_reopen": is_admin(request.user),
            "reopen_form": ReopenForm(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def statement_accounts(request: HttpRequest, code: str, programme: str, year: int) -> HttpResponse:
    """Finance staff record what was actually spent, per row of both tables, and approve."""
    statement = get_statement_for_user(request.user, code, programme, year, write=True)
    if not statement.is_submitted or statement.accounts_approved:
        # Accounts need a submitted statement; approved accounts are frozen.
        return render(
            request,
            "grants/statement_accounts.html",
            {
                "statement": statement,
                "grant_year": statement.grant.grant_year,
                "figures": accounts_figures(statement),
                "closed": True,
                "can_reopen": is_admin(request.user),
                "reopen_form": ReopenForm(),
            },
            status=409 if request.method == "POST" else 200,
        )
    if request.method == "GET":
        return _render_accounts(request, statement, AccountsForm(statement))
    form = AccountsForm(statement, request.POST)
    if not form.is_valid():
        refusal = _("Intet er gemt. Ret fejlene nedenfor, og gem igen.")
        return _render_accounts(request, statement, form, refusal=refusal, status=400)
    try:
        if request.POST.get("action") == "approve":
            # Approval is of the saved figures, by someone other than who last entered them.
            approve_accounts(
                statement=statement,
                acting_user=request.user,
                expected_version=form.cleaned_data["version"],
                actuals=form.actuals(),
            )
            messages.success(request, _("Regnskabet er godkendt."))
            return redirect(_statement_url(statement))
        save_accounts(
            statement=statement,
            actuals=form.actuals(),
            acting_user=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except StaleVersion as error:
        return _render_conflict(request, form, error.current, accounts=True)
    except (AccountsFrozen, NotSubmitted) as error:
        messages.error(request, str(error))
        return redirect(_statement_url(statement))
    except (SameApprover, AccountsChangedOnApproval) as error:
        return _render_accounts(request, statement, form, refusal=str(error), status=400)
    except AccountsRulesNotMet as error:
        return _render_accounts(
            request,
            statement,
            form,
            errors=error.errors,
            refusal=_("Regnskabet kan ikke godkendes endnu. Intet er gemt."),
            status=400,
        )
    messages.success(request, _("Regnskabet er gemt som kladde."))
    return redirect(_statement_url(statement, "grants:statement_accounts"))


@require_POST
def statement_accounts_reopen(
    request: HttpRequest, code: str, programme: str, year: int
) -> HttpResponse:
    return _reopen(request, code, programme, year, accounts=True)
