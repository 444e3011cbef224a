from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from budgets.models import (
    BudgetProposal,
    ConsultationAnswer,
    Decision,
    DecisionOutcome,
    ProposalAmount,
)
from grants.admin import DataAdmin


class ProposalAmountInline(admin.TabularInline):
    model = ProposalAmount
    extra = 0


@admin.register(BudgetProposal)
class BudgetProposalAdmin(DataAdmin):
    list_display = ("code", "title", "municipality", "type", "activity_area", "status")
    list_filter = ("type", "committee", "activity_area")
    search_fields = ("code", "title")
    filter_horizontal = ("initiatives",)
    inlines = [ProposalAmountInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BudgetProposal]:
        return super().get_queryset(request).with_status()

    @admin.display(description=_("Status"), ordering="status")
    def status(self, obj: BudgetProposal) -> str:
        """Derived from the latest decision: it changes by recording a decision."""
        return obj.status_label


class DecisionOutcomeInline(admin.TabularInline):
    model = DecisionOutcome
    extra = 0
    autocomplete_fields = ("proposal",)


@admin.register(Decision)
class DecisionAdmin(DataAdmin):
    """A decision and the status it gave each proposal; a proposal's status follows its latest
    decision (budgets.models.ProposalQuerySet.with_status)."""

    list_display = ("date", "body", "reference", "municipality")
    list_filter = ("body", "municipality")
    search_fields = ("body", "reference", "summary")
    inlines = [DecisionOutcomeInline]


@admin.register(ConsultationAnswer)
class ConsultationAnswerAdmin(DataAdmin):
    list_display = ("date", "respondent", "kind", "municipality")
    list_filter = ("kind", "municipality")
    search_fields = ("respondent", "reference", "summary")
    filter_horizontal = ("proposals",)
