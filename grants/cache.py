"""Caching that cannot be stale.

Every key carries the data version (grants.models.DataVersion), a number the database itself
advances in the same transaction as any write to the product's data (grants.dbtriggers): through
the services, the admin's single and bulk actions, the seed and import commands, or raw SQL. A
request reads the version first and then the data, so whatever it caches under version V shows
V's data or later; once a write commits, V is never asked for again, on any worker or host that
shares the database. Nothing is ever invalidated by hand, so nothing can be forgotten; old
entries simply expire (a day at most) or are evicted by the cache's own bound (MAX_ENTRIES
locally, maxmemory with an LRU policy on Redis, docs/deploy.md).

Cached content is the same for everyone its key names: it is rendered without the request's user,
session or CSRF token (they are not in its context; a template that reaches for them fails), and
the key holds what it may show a user: the language and the user's scope (administrator, finance
staff, municipality).
"""

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from grants import permissions
from grants.dbtriggers import first_value
from grants.models import DataVersion, Statement

CONTENT_MARK = "<!--page-content-->"
TIMEOUT = 24 * 3600
# A query string is cached only when it is short and plain (filters, sort, page): free-text
# searches and odd parameters are rendered afresh, so no client can fill the cache with keys.
CACHEABLE_PARAM = re.compile(r"[a-z_]{1,20}")
CACHEABLE_VALUE = re.compile(r"[A-Za-z0-9_\-]{0,40}")
MAX_PARAMS = 8
UNCACHED_PARAMS = {"q"}


def data_version() -> int:
    """The current data version (one query). Created afresh, from the clock, if its row is
    missing (a database emptied and loaded again), so old keys are never reused."""
    value = DataVersion.objects.filter(pk=1).values_list("value", flat=True).first()
    if value is None:
        try:
            with transaction.atomic():
                value = DataVersion.objects.create(pk=1, value=first_value()).value
        except IntegrityError:  # created by another request meanwhile
            value = DataVersion.objects.values_list("value", flat=True).get(pk=1)
    return value


# What rendered content is made from besides the data: a new release renders afresh.
CODE_DIRS = (
    "templates",
    "locale",
    "static",
    "grants",
    "committee",
    "budgets",
    "public",
    "eldercare",
)
CODE_SUFFIXES = {".html", ".po", ".py", ".css", ".js", ".svg"}


@functools.cache
def release() -> str:
    """A digest of the code that renders cached content (templates, catalogues, static files,
    Python), computed once per process. Part of every key, so after a deploy no server serves
    what the old code rendered, from a Redis that outlived it."""
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted((settings.BASE_DIR / folder).rglob("*")):
            if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key(*parts: object) -> str:
    digest = hashlib.sha256(repr((release(), parts)).encode()).hexdigest()[:32]
    return f"eldercare:{parts[0]}:{digest}"


def for_statement(
    statement: Statement,
    kind: str,
    build: Callable[[], Any],
    *,
    version: int | None = None,
    drafts: bool = False,
) -> Any:
    """`build()` once per data version for a submitted statement (and for a draft if `drafts`:
    what only its own municipality's staff are shown, after the caller's access check); else
    built afresh. A draft's save advances the data version like any write, so neither is stale."""
    if not (statement.is_submitted or drafts):
        return build()
    key = _key("statement", kind, statement.pk, version or data_version())
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=TIMEOUT)
    return value


def statement_at(code: str, programme: str, year: int, *, version: int) -> Statement:
    """The statement with its grant, municipality, year and programme, from the cache under the
    data version (any write to any of them advances it, so it is never stale), else one query.
    Raises Http404. Who may see it is the caller's check (permissions.check_statement_access)."""
    key = _key("statement-at", code, programme, year, version)
    found = cache.get(key)
    if found is None:
        try:
            found = Statement.objects.select_related(
                "grant__municipality", "grant__grant_year__programme"
            ).get(
                grant__municipality__code=code,
                grant__grant_year__programme__slug=programme,
                grant__grant_year__year=year,
            )
        except Statement.DoesNotExist:
            raise Http404 from None
        cache.set(key, found, timeout=TIMEOUT)
    return found


def cacheable_query(query: QueryDict) -> bool:
    if len(query) > MAX_PARAMS:
        return False
    return all(
        CACHEABLE_PARAM.fullmatch(name)
        and name not in UNCACHED_PARAMS
        and len(values) == 1
        and CACHEABLE_VALUE.fullmatch(values[0])
        for name, values in query.lists()
    )


@dataclass(frozen=True)
class Scope:
    """What a cached page may show differently to its reader; part of the page's key."""

    is_admin: bool
    is_writer: bool
    municipality_id: int | None

    def may_write(self, municipality_id: int) -> bool:
        """permissions.can_write_municipality, from the scope alone."""
        return self.is_admin or (self.is_writer and self.municipality_id == municipality_id)

    def sees_drafts_of(self, municipality_id: int) -> bool:
        return permissions.drafts_visible(
            admin=self.is_admin, own=self.municipality_id, municipality_id=municipality_id
        )

    def may_read(self, statement: Statement) -> bool:
        """permissions.statement_readable, from the scope alone."""
        return permissions.statement_readable(
            statement, admin=self.is_admin, own=self.municipality_id
        )

    def visible(self, statements: QuerySet[Statement]) -> QuerySet[Statement]:
        return permissions.visible_to(statements, admin=self.is_admin, own=self.municipality_id)


class ContentRequest:
    """What cached content (its context builder and its template) may know of the request: its
    path, its query string and the reader's scope. Anything else (the user, the session,
    cookies, headers) is refused, so nothing of one reader can end up in everyone's page."""

    method = "GET"
    current_app = None  # read by {% url %}

    def __init__(self, request: HttpRequest, scope: Scope) -> None:
        self.path = request.path
        self.GET = request.GET
        self.scope = scope

    def get_full_path(self) -> str:
        query = self.GET.urlencode()
        return f"{self.path}?{query}" if query else self.path

    def __getattr__(self, name: str) -> None:
        NotInCachedContent(f"request.{name}")._refuse()


class NotInCachedContent:
    """Stands in for the user, the session's CSRF token and permissions in cached content's
    context: any use of it fails, in tests first, instead of caching one user's page for all."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _refuse(self, *args: object) -> None:
        raise ImproperlyConfigured(
            f"Cached page content must not use '{self.name}': it is shared by every reader the "
            "key names (grants/cache.py). Pass what the page needs in its context instead."
        )

    __str__ = __bool__ = __iter__ = __len__ = _refuse

    def __getattr__(self, attribute: str) -> None:
        self._refuse()


# In the context of anything cached: a template that reaches for these fails (in tests first)
# instead of rendering blank, or one reader's value, into what every reader gets.
GUARDS = {name: NotInCachedContent(name) for name in ("user", "csrf_token", "perms", "request")}


def scope(request: HttpRequest) -> Scope:
    """What a page may show differently to this user: administrator, finance staff, and whose."""
    user = request.user
    return Scope(
        permissions.is_admin(user),
        permissions.is_writer(user),
        getattr(permissions.membership(user), "municipality_id", None),
    )


def render_page(
    request: HttpRequest,
    template: str,
    build: Callable[[ContentRequest], dict],
    *,
    vary: tuple = (),
    query: bool = True,
) -> HttpResponse:
    """Render a read-only page whose content (title and body) depends only on the data, the
    query string, the language, the user's scope and `vary`. The content is cached under the
    data version; the page around it (header, user, CSRF tokens, messages) is rendered for this
    request. `template` extends base_template|default:"base.html" and marks where its content
    starts with CONTENT_MARK (templates/content_only.html). `build` gets a ContentRequest, not the
    request: the query string and the reader's scope, nothing else. `query=False`: a page that
    reads no query string, cached once whatever is appended to its address."""
    reader = scope(request)

    def content() -> tuple[str, str]:
        content_request = ContentRequest(request, reader)
        context = (
            build(content_request)
            | GUARDS
            | {
                "base_template": "content_only.html",
                "request": content_request,
                "user_can_write": reader.is_writer,
                "user_is_admin": reader.is_admin,
            }
        )
        # A plain Context (no context processors: no user, session or CSRF token), with the
        # query string for the tags that read it ({% querystring %}, django-tables2).
        compiled = get_template(template).template
        plain = Context(context, autoescape=compiled.engine.autoescape)
        plain.request = content_request
        text = compiled.render(plain)
        title, _, body = text.partition(CONTENT_MARK)
        return str(title).strip(), str(body)

    if not query or cacheable_query(request.GET):
        key = _key(
            "page",
            template,
            data_version(),
            get_language(),
            reader,
            request.path,
            sorted(request.GET.lists()) if query else None,
            vary,
        )
        cached = cache.get(key)
        if cached is None:
            cached = content()
            cache.set(key, cached, timeout=TIMEOUT)
    else:
        cached = content()
    title, body = cached
    # Both parts are our own templates' escaped output.
    return render(
        request,
        "cached_page.html",
        {"cached_title": mark_safe(title), "cached_content": mark_safe(body)},  # noqa: S308
    )


def download(
    request: HttpRequest, *, etag: str, filename: str, content_type: str, build: Callable[[], Any]
) -> HttpResponse:
    """A file download: private to this user (never stored by a shared proxy), revalidated every
    time, and answered 304 Not Modified without building the file when the browser's copy carries
    the current ETag (what the file is built from: a statement's version, the data version)."""
    tag = f'"{etag}"'
    if tag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(build(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    return response
