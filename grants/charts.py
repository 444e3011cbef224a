"""The statement page's chart: budget against actual per row of one table (grants.views)."""

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from grants.rules import AccountsTable
from grants.svg import PairedBar, paired_bar_chart


def budget_actual_chart(
    table: AccountsTable, *, chart_id: str, title: str, table_caption: str
) -> SafeString:
    """Two bars per form row, the budget and the actual spending, on one scale; the numbers are
    those of the accounts table beside it (grants.rules.AccountsTable, the same object)."""
    return paired_bar_chart(
        chart_id=chart_id,
        title=title,
        description=_("Budget og regnskab pr. række; tallene står i tabellen %(caption)s.")
        % {"caption": table_caption},
        series=[_("Budget (kr.)"), _("Regnskab (kr.)")],
        rows=[PairedBar(r.row.label, [r.budget, r.actual]) for r in table.rows],
        missing=_("ukendt"),
    )
