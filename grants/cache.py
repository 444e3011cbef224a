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


# --- Pages whose content depends only on the data (committee members' pages) --------------------

DATA_VERSION_KEY = "grants:data-version"
CONTENT_MARK = "<!--page-content-->"


def data_version() -> int:
    return cache.get_or_set(DATA_VERSION_KEY, 1, timeout=None)


def bump_data_version() -> None:
    """Every write that changes what a reader sees calls this (on commit): cached page contents
    keyed by the old version are never served again."""
    try:
        cache.incr(DATA_VERSION_KEY)
    except ValueError:
        cache.set(DATA_VERSION_KEY, 2, timeout=None)


def bump_on_commit() -> None:
    """Bump now and again when the transaction commits: a page rendered between the two from
    the not yet committed state is cached under a version that is already obsolete."""
    from django.db import transaction

    bump_data_version()
    transaction.on_commit(bump_data_version)


def render_page(request, template: str, build: Callable[[], dict], *, vary: tuple = ()):
    """Render a read-only page whose content (title and body) depends only on the data, the
    query string, the language and `vary` (e.g. whether the user may edit): the content is
    cached under the data version, while the page around it (header, user, CSRF tokens,
    messages) is rendered for this request. `template` extends base_template|default:"base.html".
    """
    from django.shortcuts import render
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language

    from grants import permissions

    key = ":".join(
        str(part)
        for part in (
            "grants:page",
            template,
            data_version(),
            form_generation(),
            get_language(),
            # what the content may show this user: edit buttons for their own municipality
            permissions.is_admin(request.user),
            permissions.is_writer(request.user),
            getattr(permissions.membership(request.user), "municipality_id", None),
            request.get_full_path(),
            *vary,
        )
    )
    cached = cache.get(key)
    if cached is None:
        text = render_to_string(
            template, build() | {"base_template": "content_only.html"}, request=request
        )
        title, _, content = text.partition(CONTENT_MARK)
        cached = (str(title).strip(), str(content))
        cache.set(key, cached, timeout=3600)
    title, content = cached
    # Both parts are our own templates' escaped output.
    return render(
        request,
        "cached_page.html",
        {"cached_title": mark_safe(title), "cached_content": mark_safe(content)},  # noqa: S308
    )
