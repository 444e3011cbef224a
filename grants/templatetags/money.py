from django import template

from grants.money import format_kroner

register = template.Library()


@register.filter
def kr(amount: int | None, empty: str = "") -> str:
    """The one amount filter: 11280000 -> "11.280.000"; unknown (None) -> `empty`."""
    return format_kroner(amount, empty=empty)


@register.filter
def absolute(amount: int) -> int:
    return abs(amount)
