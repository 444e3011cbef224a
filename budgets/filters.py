"""The budget proposals' filters: municipality (code), committee, activity area, type, year (a
year in which the proposal has an amount) and q over number, title and description."""

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from budgets.models import BudgetProposal, ProposalAmount
from grants.models import Municipality


def committee_choices() -> list[tuple[str, str]]:
    pairs = BudgetProposal.objects.values_list("committee", "committee_name").distinct()
    names: dict[str, str] = {}
    for code, name in pairs.order_by("committee"):
        names.setdefault(code, f"{name} ({code})" if name else code)
    return sorted(names.items())


def activity_area_choices() -> list[tuple[str, str]]:
    areas = BudgetProposal.objects.values_list("activity_area", flat=True).distinct()
    return [(area, area) for area in sorted(areas.order_by())]


def proposal_years() -> list[tuple[int, int]]:
    years = ProposalAmount.objects.values_list("year", flat=True).distinct().order_by("year")
    return [(year, year) for year in years]


class ProposalFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Søg i nummer, titel og beskrivelse"))
    municipality = django_filters.ModelChoiceFilter(
        queryset=Municipality.objects.filter(
            Exists(BudgetProposal.objects.filter(municipality=OuterRef("pk")))
        ),
        to_field_name="code",
        label=_("Kommune"),
        empty_label=_("Alle kommuner"),
    )
    committee = django_filters.ChoiceFilter(
        choices=committee_choices, label=_("Udvalg"), empty_label=_("Alle udvalg")
    )
    activity_area = django_filters.ChoiceFilter(
        choices=activity_area_choices,
        label=_("Aktivitetsområde"),
        empty_label=_("Alle aktivitetsområder"),
    )
    type = django_filters.ChoiceFilter(
        choices=BudgetProposal.Type.choices, label=_("Type"), empty_label=_("Alle typer")
    )
    year = django_filters.ChoiceFilter(
        choices=proposal_years,
        method="filter_year",
        label=_("År med beløb"),
        empty_label=_("Alle år"),
    )

    class Meta:
        model = BudgetProposal
        fields = ["q", "municipality", "committee", "activity_area", "type", "year"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split():
            queryset = queryset.filter(
                Q(code__icontains=word) | Q(title__icontains=word) | Q(description__icontains=word)
            )
        return queryset

    def filter_year(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        value = int(value)  # one of the choices, so digits
        return queryset.filter(
            Exists(ProposalAmount.objects.filter(proposal=OuterRef("pk"), year=value))
        )
