"""The rules every piece of user text keeps, however it arrives (typed in a form or imported from a
workbook): no control characters, and the length its field allows. Each check returns a Danish
message for the user, or None when the text is fine."""

import re
from difflib import SequenceMatcher

from django.utils.translation import gettext as _

from grants.money import format_kroner

# C0 control characters and DEL, except tab, line feed and carriage return: invisible in the
# form, refused by XML 1.0 (so by the spreadsheet export) and meaningless in a ledger's text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character_error(text: str) -> str | None:
    """ "Teksten indeholder et kontroltegn (U+0007) ved tegn nr. 14. …", or None."""
    match = CONTROL_CHARACTERS.search(text)
    if match is None:
        return None
    return _(
        "Teksten indeholder et kontroltegn (U+%(code)s) ved tegn nr. %(position)s. "
        "Fjern det, og prøv igen."
    ) % {"code": f"{ord(match.group()):04X}", "position": match.start() + 1}


def text_error(text: str, *, max_length: int) -> str | None:
    """What is wrong with a text that may hold at most `max_length` characters, or None."""
    if len(text) > max_length:
        return _("Teksten er på %(length)s tegn; der må højst være %(max)s.") % {
            "length": format_kroner(len(text)),
            "max": format_kroner(max_length),
        }
    return control_character_error(text)


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """A long text's change word by word, for the history: ("same" | "del" | "ins", text) parts
    in reading order; whitespace stays with the word before it, so paragraphs survive."""
    old, new = re.findall(r"\S+\s*", before), re.findall(r"\S+\s*", after)
    parts: list[tuple[str, str]] = []
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("del", "".join(old[i1:i2])))
        if j2 > j1:
            parts.append(("ins", "".join(new[j1:j2])))
    return parts
