from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from grants.forms import GrantTableForm
from grants.grant_table import GrantFigure, GrantTableRefused, read_grant_table
from grants.imports import MAX_FILE_BYTES
from grants.models import (
    AllocationLine,
    AuditChange,
    AuditEvent,
    FocusArea,
    FormRow,
    Grant,
    GrantYear,
    Initiative,
    InitiativeAmount,
    Membership,
    Municipality,
    Programme,
    SourceDocument,
    Statement,
)
from grants.permissions import is_admin
from grants.services import (
    CorrectionRequired,
    GrantTableStale,
    StatementError,
    apply_grant_table,
    check_grant_table,
    plan_grant_table,
)


class DataAdmin(admin.ModelAdmin):
    """Reference data. Readers' cached pages show a change at once without anything here: the
    database advances the data version on every write (grants/cache.py)."""


def _submitted(**lookup: object) -> bool:
    return Statement.objects.filter(status=Statement.Status.SUBMITTED, **lookup).exists()


@admin.register(Municipality)
class MunicipalityAdmin(DataAdmin):
    list_display = ("code", "name", "region")
    search_fields = ("code", "name")
    list_filter = ("region",)

    def get_readonly_fields(self, request: HttpRequest, obj: Municipality | None = None) -> tuple:
        # Its submitted statements carry its name and code as the ministry received them.
        if obj is not None and _submitted(grant__municipality=obj):
            return ("code", "name")
        return ()


@admin.register(Programme)
class ProgrammeAdmin(DataAdmin):
    list_display = ("name", "first_year", "last_year")


@admin.register(FocusArea)
class FocusAreaAdmin(DataAdmin):
    list_display = ("name", "slug", "position")


def _form_frozen(grant_year: GrantYear | None) -> bool:
    """A year's form is frozen once a statement on it is submitted: the statement was submitted
    on exactly these rows and texts (to change them, reopen the statements first)."""
    return grant_year is not None and _submitted(grant__grant_year=grant_year)


class FormRowInline(admin.TabularInline):
    model = FormRow
    extra = 0
    fields = ("table", "position", "code", "label", "kind", "focus_area")

    def has_add_permission(self, request: HttpRequest, obj: GrantYear | None = None) -> bool:
        return not _form_frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: GrantYear | None = None) -> bool:
        return not _form_frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: GrantYear | None = None) -> bool:
        return not _form_frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(GrantYear)
class GrantYearAdmin(DataAdmin):
    list_display = ("year", "programme", "has_form", "deadline")
    list_filter = ("programme",)
    list_editable = ("deadline",)
    inlines = [FormRowInline]

    def get_readonly_fields(self, request: HttpRequest, obj: GrantYear | None = None) -> tuple:
        if _form_frozen(obj):  # the deadline stays the administrators' to set
            return tuple(f.name for f in GrantYear._meta.fields if f.name not in ("id", "deadline"))
        return ()

    def change_view(self, request: HttpRequest, object_id: str, *args, **kwargs):  # noqa: ANN002, ANN003
        if _form_frozen(self.get_object(request, object_id)):
            self.message_user(
                request,
                _(
                    "Årets skema kan ikke ændres, fordi der er indsendt redegørelser på det. "
                    "Genåbn dem først, hvis skemaet skal rettes."
                ),
                messages.WARNING,
            )
        return super().change_view(request, object_id, *args, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Grants, statements and initiatives change only through grants.services (the product's
    pages), where the rules, the version check and the audit trail hold. The admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


GRANT_TABLE_SALT = "grants.grant-table-preview"


def _pack_grant_table(
    programme: Programme, figures: list[GrantFigure], expected: list, filename: str, source: str
) -> str:
    """The previewed figures and what the preview showed, signed so the confirmation applies
    exactly what was shown (or nothing, if the grants changed meanwhile)."""
    return signing.dumps(
        {
            "programme": programme.pk,
            "filename": filename,
            "source": source,
            "figures": [[f.municipality.pk, f.year, f.amount, f.row, f.cell] for f in figures],
            "expected": expected,
        },
        salt=GRANT_TABLE_SALT,
        compress=True,
    )


def _unpack_grant_table(token: str) -> tuple[dict, Programme, list[GrantFigure]]:
    data = signing.loads(token, salt=GRANT_TABLE_SALT, max_age=3600)
    programme = Programme.objects.get(pk=data["programme"])
    municipalities = Municipality.objects.in_bulk({f[0] for f in data["figures"]})
    figures = [
        GrantFigure(municipalities[pk], year, amount, row, cell)
        for pk, year, amount, row, cell in data["figures"]
    ]
    return data, programme, figures


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ("municipality", "grant_year", "amount", "source")
    list_filter = ("grant_year", "source")
    search_fields = ("municipality__name", "municipality__code")
    list_select_related = ("municipality", "grant_year__programme", "source")
    change_list_template = "admin/grants/grant/change_list.html"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.import_table_view)
        return [
            path("indlaes-tabel/", view, name="grants_grant_import_table"),
            *super().get_urls(),
        ]

    def import_table_view(self, request: HttpRequest) -> HttpResponse:
        """Upload the ministry's grant table, see every grant it registers, changes or leaves,
        confirm (administrators only). Corrections of submitted statements need the checkbox."""
        if not is_admin(request.user):
            raise PermissionDenied
        if request.method == "POST" and "token" in request.POST:
            return self._confirm_table(request)
        form = GrantTableForm(request.POST or None, request.FILES or None)
        if request.method != "POST" or not form.is_valid():
            return self._render_table(request, form=form, status=400 if form.errors else 200)
        upload = form.cleaned_data["file"]
        filename = upload.name[:200]
        programme = form.cleaned_data["programme"]
        if upload.size > MAX_FILE_BYTES:
            errors = [_("Filen er for stor. En tilskudstabel må højst fylde 2 MB.")]
            return self._render_table(request, form=form, errors=errors, filename=filename)
        try:
            table = read_grant_table(upload.read(), filename=filename, programme=programme)
            plan = plan_grant_table(programme=programme, figures=table.figures)
            check_grant_table(plan, correct=True)  # what no confirmation can make right
        except (GrantTableRefused, StatementError) as error:
            errors = getattr(error, "errors", [str(error)])
            return self._render_table(request, form=form, errors=errors, filename=filename)
        source = form.cleaned_data["source_title"] or table.source_note or filename
        token = _pack_grant_table(programme, table.figures, plan.key, filename, source)
        return self._render_table(
            request,
            plan=plan,
            programme=programme,
            skipped=table.skipped,
            source=source,
            filename=filename,
            token=token,
        )

    def _confirm_table(self, request: HttpRequest) -> HttpResponse:
        try:
            data, programme, figures = _unpack_grant_table(request.POST["token"])
        except (signing.BadSignature, KeyError, ValueError, TypeError, Programme.DoesNotExist):
            errors = [_("Forhåndsvisningen er udløbet eller ugyldig. Indlæs tabellen igen.")]
            return self._render_table(request, form=GrantTableForm(), errors=errors)
        correct = request.POST.get("correct") == "on"
        try:
            plan = apply_grant_table(
                programme=programme,
                figures=figures,
                acting_user=request.user,
                source=data["source"],
                correct=correct,
                filename=data["filename"],
                expected=data["expected"],
            )
        except CorrectionRequired as error:
            plan = plan_grant_table(programme=programme, figures=figures)
            return self._render_table(
                request,
                plan=plan,
                programme=programme,
                source=data["source"],
                filename=data["filename"],
                token=request.POST["token"],
                errors=error.errors,
            )
        except GrantTableStale as error:
            return self._render_table(
                request, form=GrantTableForm(), errors=[str(error)], status=409
            )
        except StatementError as error:
            errors = getattr(error, "errors", [str(error)])
            return self._render_table(request, form=GrantTableForm(), errors=errors)
        messages.success(
            request,
            _("Tilskudstabellen %(file)s er indlæst: %(summary)s")
            % {"file": data["filename"], "summary": plan.summary},
        )
        return redirect(reverse("admin:grants_grant_changelist"))

    def _render_table(
        self,
        request: HttpRequest,
        *,
        errors: list[str] | None = None,
        status: int | None = None,
        **context,
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/grants/grant/import_table.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Indlæs ministeriets tilskudstabel"),
                "errors": errors or [],
                **context,
            },
            status=status or (400 if errors else 200),
        )


class AllocationLineInline(admin.TabularInline):
    model = AllocationLine
    extra = 0
    fields = ("row", "amount", "specification")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("grant", "status", "submitted_at", "version")
    list_filter = ("status", "grant__grant_year")
    search_fields = ("grant__municipality__name", "grant__municipality__code")
    list_select_related = ("grant__municipality", "grant__grant_year__programme")
    inlines = [AllocationLineInline]


@admin.register(SourceDocument)
class SourceDocumentAdmin(DataAdmin):
    list_display = ("key", "title", "publisher")


class InitiativeAmountInline(admin.TabularInline):
    model = InitiativeAmount
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Initiative)
class InitiativeAdmin(ReadOnlyAdmin):
    list_display = ("title", "municipality", "focus_area", "programme", "source")
    list_filter = ("programme", "focus_area", "source")
    search_fields = ("title", "description")
    list_select_related = ("municipality", "focus_area", "programme", "source")
    inlines = [InitiativeAmountInline]


@admin.register(Membership)
class MembershipAdmin(DataAdmin):
    list_display = ("user", "role", "municipality")
    list_filter = ("role",)


class AuditChangeInline(admin.TabularInline):
    model = AuditChange
    extra = 0
    fields = ("label", "before_display", "after_display")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is read-only, through the admin as everywhere."""

    list_display = ("at", "statement", "initiative", "actor", "action")
    list_filter = ("action",)
    list_select_related = (
        "statement__grant__municipality",
        "statement__grant__grant_year",
        "initiative",
        "actor",
    )
    inlines = [AuditChangeInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
