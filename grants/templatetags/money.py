from django import template

from grants.money import format_kroner, format_share

register = template.Library()


@register.filter
def kr(amount: int | None, empty: str = "") -> str:
    """The one amount filter: 11280000 -> "11.280.000"; unknown (None) -> `empty`."""
    return format_kroner(amount, empty=empty)


@register.filter
def absolute(amount: int) -> int:
    return abs(amount)


@register.filter
def kroner(amount: int | None, empty: str = "") -> str:
    """An amount with its unit, by the reader's language: "11.280.000 kr." / "DKK 11,280,000"."""
    if amount is None:
        return empty
    return format_kroner(amount, unit=True)


@register.filter
def kr_form(amount: int | None, empty: str = "") -> str:
    """An amount on the ministry's form, Danish in any language: "11.280.000"."""
    return format_kroner(amount, empty=empty, danish=True)


@register.filter
def share(units: int | None) -> str:
    """A share in tenths of a percent, by the reader's language: 1000 -> "100,0 %"."""
    return format_share(units)
