import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grants.models import FocusArea, Initiative, Municipality, Programme, SourceDocument


class InitiativeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Søg"))
    municipality = django_filters.ModelChoiceFilter(
        queryset=Municipality.objects.filter(initiatives__isnull=False).distinct(),
        to_field_name="code",
        label=_("Kommune"),
    )
    year = django_filters.NumberFilter(method="filter_year", label=_("År"))
    focus_area = django_filters.ModelChoiceFilter(
        queryset=FocusArea.objects.all(), to_field_name="slug", label=_("Fokusområde")
    )
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.all(), to_field_name="slug", label=_("Pulje")
    )
    source = django_filters.ModelChoiceFilter(
        queryset=SourceDocument.objects.all(), to_field_name="key", label=_("Kildedokument")
    )

    class Meta:
        model = Initiative
        fields = ["q", "municipality", "year", "focus_area", "programme", "source"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_year(self, queryset, name, value):
        # An amount for the year, or an "og fremover" amount from an earlier year.
        return queryset.filter(
            Q(amounts__year=value) | Q(amounts__onward=True, amounts__year__lte=value)
        ).distinct()
