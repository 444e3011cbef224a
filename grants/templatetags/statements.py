from django import template

from grants.models import Statement

register = template.Library()


@register.filter
def statement_url(statement: Statement, name: str = "statement") -> str:
    """{{ statement|statement_url:"statement_edit" }}: the URL of one of the statement's pages."""
    return statement.url(name)
