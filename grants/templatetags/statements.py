from django import template

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
