"""Whole Danish kroner: the one place amounts are parsed, formatted and declared as fields.

DESIGN.md rule 1: amounts are whole kroner, never negative, never floats; shown as 11.280.000;
input accepts "11.280.000", "11280000" and "11 280 000"; anything else is a clear error.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

# Either plain digits, or groups of three separated consistently by "." or by (non-breaking) spaces.
_PLAIN = re.compile(r"\d+")
_DOTTED = re.compile(r"\d{1,3}(?:\.\d{3})+")
_SPACED = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+")

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
    sign = 1
    if value[0] in "-\u2212":
        if not allow_negative:
            raise AmountError(_("Beløbet må ikke være negativt."))
        sign, value = -1, value[1:].strip()
    if not (_PLAIN.fullmatch(value) or _DOTTED.fullmatch(value) or _SPACED.fullmatch(value)):
        if re.fullmatch(r"\d+[.,]\d{1,2}", value):
            raise AmountError(_("Beløbet skal være hele kroner uden øre."))
        raise AmountError(
            _("'%(value)s' er ikke et beløb. Skriv hele kroner, fx 11.280.000.") % {"value": text}
        )
    amount = int(re.sub(r"\D", "", value))
    if amount >= MAX_KRONER:
        raise AmountError(_("Beløbet er for stort."))
    return sign * amount


def format_kroner(amount: int | None, *, empty: str = "") -> str:
    """11280000 -> "11.280.000"; None (unknown) -> empty."""
    if amount is None:
        return empty
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(int(amount)):,}".replace(",", ".")


def validate_not_negative(value: int | None) -> None:
    if value is not None and value < 0:
        raise ValidationError(_("Beløbet må ikke være negativt."), code="negative")


class KronerField(models.BigIntegerField):
    """An amount in whole kroner. Non-negativity is enforced by a named CheckConstraint on the
    model (so the database refuses it too); this field only documents the unit."""

    description = "Amount in whole Danish kroner"
