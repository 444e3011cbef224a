"""Whole Danish kroner: the one place amounts are parsed, formatted and declared as fields.

DESIGN.md rule 1: amounts are whole kroner, never negative, never floats; shown as 11.280.000;
input accepts "11.280.000", "11280000" and "11 280 000"; anything else is a clear error.
"""

import re

from django import forms
from django.db import models
from django.utils.formats import get_format
from django.utils.translation import gettext as _

# Either plain digits, or groups of three separated consistently by "." or by (non-breaking) spaces.
# ASCII digits only: str.isdigit() and a plain \d would also take Arabic-Indic or full-width digits.
_PLAIN = re.compile(r"[0-9]+")
_DOTTED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_SPACED = re.compile(r"[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+")
_DECIMAL = re.compile(r"[0-9]+[.,][0-9]{1,2}")

MAX_KRONER = 10**13  # 10.000 mia. kr.: far above any grant, well inside a 64-bit integer


class AmountError(ValueError):
    """A text that is not an amount of whole kroner. str(error) is a Danish message."""


def parse_kroner(text: str, *, allow_negative: bool = False) -> int | None:
    """Parse a Danish amount; "" (or only spaces) means unknown and gives None."""
    value = (text or "").strip()
    if value.lower().endswith("kr."):
        value = value[:-3].strip()
    elif value.lower().endswith("kr"):
        value = value[:-2].strip()
    if not value:
        return None
    if len(value) > 30:  # far beyond any amount (and int() of thousands of digits is refused)
        raise AmountError(_("Beløbet er for langt til at være et beløb."))
    sign = 1
    if value[0] in "-\u2212":
        if not allow_negative:
            raise AmountError(_("Beløbet må ikke være negativt."))
        sign, value = -1, value[1:].strip()
    if not (_PLAIN.fullmatch(value) or _DOTTED.fullmatch(value) or _SPACED.fullmatch(value)):
        if _DECIMAL.fullmatch(value):
            raise AmountError(_("Beløbet skal være hele kroner uden øre."))
        raise AmountError(
            _("'%(value)s' er ikke et beløb. Skriv hele kroner, fx 11.280.000.")
            % {"value": text[:40]}
        )
    amount = int(re.sub(r"[^0-9]", "", value))
    check_kroner(sign * amount)
    return sign * amount


def check_kroner(amount: int) -> None:
    """The range every amount must keep, however it arrives (typed, imported, loaded)."""
    if abs(amount) >= MAX_KRONER:
        raise AmountError(_("Beløbet er for stort."))


def _separators(danish: bool) -> tuple[str, str]:
    """(thousands, decimal) by the one rule per language (eldercare/formats/): Danish "." and
    ",", English "," and "."; the ministry's form and our CSV files are Danish in any language."""
    if danish:
        return ".", ","
    return get_format("THOUSAND_SEPARATOR"), get_format("DECIMAL_SEPARATOR")


def format_kroner(
    amount: int | None, *, empty: str = "", unit: bool = False, danish: bool = False
) -> str:
    """The one amount formatter: 11280000 -> "11.280.000" ("11.280.000 kr." with `unit`); in
    English "11,280,000" ("DKK 11,280,000"). `danish`: always the Danish way (the ministry's
    form, CSV). None (unknown) -> `empty`."""
    if amount is None:
        return empty
    thousands, _decimal = _separators(danish)
    sign = "-" if amount < 0 else ""
    text = sign + f"{abs(int(amount)):,}".replace(",", thousands)
    if not unit:
        return text
    if danish:
        return f"{text} kr."
    return _("%(amount)s kr.") % {"amount": text}


def compact_kroner(amount: int) -> str:
    """A short label for a narrow bar: 4.795.000 -> "4,8 mio." ("4.8m" in English); a table
    beside it has the exact figure."""
    if abs(amount) >= 1_000_000:
        _thousands, decimal = _separators(False)
        millions = f"{amount / 1_000_000:.1f}".replace(".", decimal)
        return _("%(amount)s mio.") % {"amount": millions}
    return format_kroner(amount)


def format_share(units: int | None, *, danish: bool = False) -> str:
    """A share in tenths of a percent: 787 -> "78,7 %" ("78.7 %" in English); None -> ""."""
    if units is None:
        return ""
    _thousands, decimal = _separators(danish)
    return f"{units // 10}{decimal}{units % 10} %"


class AmountFormField(forms.CharField):
    """An amount typed the Danish way (parse_kroner); the error names the field."""

    def __init__(self, *args, allow_negative: bool = False, **kwargs) -> None:
        self.allow_negative = allow_negative
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict:
        attrs = super().widget_attrs(widget)
        attrs.update(
            {
                "inputmode": "numeric",
                "autocomplete": "off",
                "class": "amount-input",
                "maxlength": "30",
            }
        )
        return attrs

    def prepare_value(self, value: object) -> object:
        # Typed and shown the Danish way in any language: the ministry's form is Danish.
        return format_kroner(value, danish=True) if isinstance(value, int) else value

    def to_python(self, value: object) -> int | None:
        text = super().to_python(value)
        try:
            return parse_kroner(text, allow_negative=self.allow_negative)
        except AmountError as error:
            raise forms.ValidationError(
                "%(field)s: %(problem)s",
                params={"field": self.label, "problem": str(error)},
                code="amount",
            ) from None


class KronerField(models.BigIntegerField):
    """An amount in whole kroner. Non-negativity is a named CheckConstraint on each model (so the
    database refuses it too); forms get an AmountFormField."""

    description = "Amount in whole Danish kroner"

    def formfield(self, **kwargs: object) -> forms.Field:
        return models.Field.formfield(self, form_class=AmountFormField, **kwargs)
