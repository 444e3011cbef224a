from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

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


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ("municipality", "grant_year", "amount")
    list_filter = ("grant_year",)
    search_fields = ("municipality__name", "municipality__code")
    list_select_related = ("municipality", "grant_year__programme")


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
