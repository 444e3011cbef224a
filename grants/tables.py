import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from grants.models import Initiative
from grants.money import format_kroner


class InitiativeTable(tables.Table):
    title = tables.LinkColumn("grants:initiative", args=[tables.A("pk")], verbose_name=_("Indsats"))
    municipality = tables.Column(accessor="municipality__name", verbose_name=_("Kommune"))
    focus_area = tables.Column(
        accessor="focus_area__name", verbose_name=_("Fokusområde"), default="–"
    )
    programme = tables.Column(accessor="programme__name", verbose_name=_("Pulje"), default="–")
    amounts = tables.Column(empty_values=(), orderable=False, verbose_name=_("Kendte beløb (kr.)"))

    class Meta:
        model = Initiative
        fields = ("title", "municipality", "focus_area", "programme")
        sequence = ("title", "municipality", "focus_area", "programme", "amounts")
        attrs = {"class": "table"}
        empty_text = _("Ingen indsatser matcher filtrene.")

    def render_amounts(self, record: Initiative) -> str:
        known = [f"{a.year_label}: {format_kroner(a.amount)}" for a in record.amounts.all()]
        return "; ".join(known) or "–"
