"""The committee's filters, as query parameters so a filtered list can be shared as a link.

Initiatives: municipality (code), year, focus_area (slug), programme (slug), source (key) and q.
Budget proposals: municipality (code), committee, activity area, type, status (the current one, from
the latest decision: the queryset must come `with_status()`), year (a year in which the proposal
has an amount) and q over number, title and description."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from budgets.models import BudgetProposal, ProposalAmount, ProposalStatus
from grants.models import (
    FocusArea,
    GrantYear,
    Initiative,
    InitiativeAmount,
    Municipality,
    Programme,
    SourceDocument,
)

MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 10


def validate_search(value: str) -> None:
    """A search is a few words: every word is one more condition on every row, so a long one
    costs seconds per page (and SQLite refuses an expression that deep)."""
    if len(value.split()) > MAX_SEARCH_WORDS:
        raise forms.ValidationError(
            _("Søgningen må højst have %(max)s ord; den har %(count)s."),
            params={"max": MAX_SEARCH_WORDS, "count": len(value.split())},
            code="too_many_words",
        )


def search_filter(label: str) -> django_filters.CharFilter:
    return django_filters.CharFilter(
        method="search",
        label=label,
        max_length=MAX_SEARCH_LENGTH,
        validators=[validate_search],
    )


def initiative_years() -> list[tuple[int, int]]:
    """The years an initiative can have an amount in: those with a known amount, and the grant
    years (an "og fremover" amount carries into them). One query each."""
    years = set(InitiativeAmount.objects.values_list("year", flat=True).distinct())
    years |= set(GrantYear.objects.values_list("year", flat=True))
    return [(year, year) for year in sorted(years)]


class InitiativeFilter(django_filters.FilterSet):
    q = search_filter(_("Søg i titel og beskrivelse"))
    municipality = django_filters.ModelChoiceFilter(
        queryset=Municipality.objects.filter(
            Exists(Initiative.objects.filter(municipality=OuterRef("pk")))
        ),
        to_field_name="code",
        label=_("Kommune"),
        empty_label=_("Alle kommuner"),
    )
    year = django_filters.ChoiceFilter(
        choices=initiative_years,
        method="filter_year",
        label=_("År med beløb"),
        empty_label=_("Alle år"),
    )
    focus_area = django_filters.ModelChoiceFilter(
        queryset=FocusArea.objects.all(),
        to_field_name="slug",
        label=_("Fokusområde"),
        empty_label=_("Alle fokusområder"),
    )
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.all(),
        to_field_name="slug",
        label=_("Pulje"),
        empty_label=_("Alle puljer"),
    )
    source = django_filters.ModelChoiceFilter(
        queryset=SourceDocument.objects.filter(
            Exists(Initiative.objects.filter(source=OuterRef("pk")))
        ),
        to_field_name="key",
        label=_("Kildedokument"),
        empty_label=_("Alle kilder"),
    )

    class Meta:
        model = Initiative
        fields = ["q", "municipality", "year", "focus_area", "programme", "source"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset

    def filter_year(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        value = int(value)  # one of the choices, so digits
        # An amount for the year, or an "og fremover" amount from an earlier year.
        amounts = InitiativeAmount.objects.filter(initiative=OuterRef("pk")).filter(
            Q(year=value) | Q(onward=True, year__lte=value)
        )
        return queryset.filter(Exists(amounts))


# --- Budget proposals ---------------------------------------------------------------------------


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
    q = search_filter(_("Søg i nummer, titel og beskrivelse"))
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
    status = django_filters.ChoiceFilter(
        choices=ProposalStatus.choices, label=_("Status"), empty_label=_("Alle statusser")
    )
    year = django_filters.ChoiceFilter(
        choices=proposal_years,
        method="filter_year",
        label=_("År med beløb"),
        empty_label=_("Alle år"),
    )

    class Meta:
        model = BudgetProposal
        fields = ["q", "municipality", "committee", "activity_area", "type", "status", "year"]

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
