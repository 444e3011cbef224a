"""Caching what cannot change: a submitted statement is frozen, so anything rendered from it is
valid for as long as its version stands (every write, reopening included, bumps the version).

Keys also carry the form generation, which administrators bump by saving a grant year or its
rows in the admin (labels are data and could change under a cached rendering)."""

from collections.abc import Callable

from django.core.cache import cache

FORM_GENERATION_KEY = "grants:form-generation"


def form_generation() -> int:
    return cache.get_or_set(FORM_GENERATION_KEY, 1, timeout=None)


def bump_form_generation() -> None:
    try:
        cache.incr(FORM_GENERATION_KEY)
    except ValueError:
        cache.set(FORM_GENERATION_KEY, 2, timeout=None)


def for_statement(statement, kind: str, build: Callable[[], object]):
    """`build()` once per submitted statement version; drafts are always built afresh."""
    if not statement.is_submitted:
        return build()
    stamp = f"{statement.version}.{statement.updated_at.timestamp():.6f}"
    key = f"grants:{kind}:{statement.pk}:{stamp}:{form_generation()}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=24 * 3600)
    return value
