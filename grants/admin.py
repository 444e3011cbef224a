from django.contrib import admin

from grants.cache import bump_form_generation, bump_on_commit
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
    """Reference data: a change shows on the readers' cached pages at once."""

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        bump_on_commit()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        bump_on_commit()

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        bump_on_commit()


@admin.register(Municipality)
class MunicipalityAdmin(DataAdmin):
    list_display = ("code", "name", "region")
    search_fields = ("code", "name")
    list_filter = ("region",)


@admin.register(Programme)
class ProgrammeAdmin(DataAdmin):
    list_display = ("name", "first_year", "last_year")


@admin.register(FocusArea)
class FocusAreaAdmin(DataAdmin):
    list_display = ("name", "slug", "position")


class FormRowInline(admin.TabularInline):
    model = FormRow
    extra = 0
    fields = ("table", "position", "code", "label", "kind", "focus_area")


@admin.register(GrantYear)
class GrantYearAdmin(DataAdmin):
    list_display = ("year", "programme")
    inlines = [FormRowInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        bump_form_generation()  # cached renderings of submitted statements carry the labels


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
