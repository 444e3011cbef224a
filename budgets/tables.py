"""The budget proposals' table: one column per budget year with the proposal's amount."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.models import BudgetProposal
from grants.money import format_kroner


class YearAmountColumn(tables.Column):
    """The proposal's amount in one year, from the prefetched `amounts`."""

    def __init__(self, year: int, **kwargs) -> None:
        self.year = year
        kwargs.setdefault("verbose_name", str(year))
        kwargs.setdefault("attrs", {"td": {"class": "amount"}, "th": {"class": "amount"}})
        super().__init__(empty_values=(), orderable=False, **kwargs)

    def amount(self, record: BudgetProposal) -> int | None:
        return next((a.amount for a in record.amounts.all() if a.year == self.year), None)

    def render(self, record: BudgetProposal) -> str | SafeString:
        amount = self.amount(record)
        if amount is None:
            return format_html('<span class="unknown">{}</span>', _("intet beløb"))
        return format_kroner(amount)

    def value(self, record: BudgetProposal) -> int | None:
        return self.amount(record)


class ProposalTable(tables.Table):
    code = tables.Column(
        verbose_name=gettext_lazy("Nr."), linkify=("budgets:proposal", [tables.A("pk")])
    )
    municipality = tables.Column(
        accessor="municipality__name",
        order_by=("municipality__name", "code"),
        verbose_name=gettext_lazy("Kommune"),
    )
    title = tables.Column(verbose_name=gettext_lazy("Titel"))
    type = tables.Column(verbose_name=gettext_lazy("Type"))
    activity_area = tables.Column(
        order_by=("committee", "activity_area", "code"),
        verbose_name=gettext_lazy("Udvalg og aktivitetsområde"),
    )

    class Meta:
        model = BudgetProposal
        fields = ("code", "municipality", "title", "type", "activity_area")
        order_by = ("municipality",)
        empty_text = gettext_lazy("Ingen budgetforslag matcher filtrene.")

    def render_activity_area(self, record: BudgetProposal) -> str:
        return f"{record.committee}: {record.activity_area}"

    def __init__(self, data, *, years: list[int], **kwargs) -> None:
        extra = [(f"year_{year}", YearAmountColumn(year)) for year in years]
        super().__init__(data, extra_columns=extra, **kwargs)
