from django.contrib import admin

from budgets.models import BudgetProposal, ProposalAmount
from grants.admin import DataAdmin


class ProposalAmountInline(admin.TabularInline):
    model = ProposalAmount
    extra = 0


@admin.register(BudgetProposal)
class BudgetProposalAdmin(DataAdmin):
    list_display = ("code", "title", "municipality", "type", "activity_area")
    list_filter = ("type", "committee", "activity_area")
    search_fields = ("code", "title")
    filter_horizontal = ("initiatives",)
    inlines = [ProposalAmountInline]
