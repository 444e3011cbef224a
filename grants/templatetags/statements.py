from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from grants.models import AuditChange, Statement
from grants.text import word_diff

register = template.Library()


@register.filter
def statement_url(statement: Statement, name: str = "statement") -> str:
    """{{ statement|statement_url:"statement_edit" }}: the URL of one of the statement's pages."""
    return statement.url(name)


@register.filter
def diff_parts(change: AuditChange) -> list[tuple[str, str]]:
    """A long text's change word by word: ("same" | "del" | "ins", text) parts."""
    return word_diff(change.before_text, change.after_text)


@register.inclusion_tag("includes/breadcrumbs.html")
def statement_crumbs(statement: Statement, current: str = "") -> dict:
    """{% statement_crumbs statement _("Historik") %}: where a statement's page sits: the front
    page, the municipality, the programme-year (the page itself when `current` is empty)."""
    grant_year, municipality = statement.grant.grant_year, statement.grant.municipality
    crumbs = [
        (_("Forside"), reverse("committee:home")),
        (municipality.name, reverse("committee:municipality", args=[municipality.code])),
        (f"{grant_year.programme.name} {grant_year.year}", statement.url() if current else ""),
    ]
    if current:
        crumbs.append((current, ""))
    return {"crumbs": crumbs}
