"""Who may see and change what, in one module.

Reading: every logged-in user reads submitted statements, approved accounts, initiatives and
proposals (committee members browse across municipalities). A municipality's working papers are
its own until it submits them: a draft statement, draft accounts, their history and their
exports are read only by that municipality's staff (finance staff, and committee members who
belong to it) and administrators; anyone else gets a 404, exactly as for a write. Published
statements are public (the `public` app), without a login.

Writing: finance staff change only their own municipality's objects; readers change nothing;
superusers (administrators) change everything. On a write, another municipality's object is a
404 (its existence is not the user's business there) and a reader gets a 403.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from grants.models import AllocationLine, Membership, Municipality, Statement

AnyUser = AbstractBaseUser | AnonymousUser


def membership(user: AnyUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


def can_write_municipality(user: AnyUser, municipality: Municipality) -> bool:
    if is_admin(user):
        return True
    m = membership(user)
    return bool(m and m.role == Membership.Role.FINANCE and m.municipality_id == municipality.pk)


def is_writer(user: AnyUser) -> bool:
    """Can this user write anything at all (finance staff or administrator)?"""
    if is_admin(user):
        return True
    m = membership(user)
    return bool(m and m.role == Membership.Role.FINANCE)


def own_municipality_id(user: AnyUser) -> int | None:
    m = membership(user)
    return m.municipality_id if m else None


def drafts_visible(*, admin: bool, own: int | None, municipality_id: int) -> bool:
    """The rule: a municipality's drafts are read by its own people and administrators."""
    return admin or own == municipality_id


def statement_readable(statement: Statement, *, admin: bool, own: int | None) -> bool:
    """The rule for one statement: submitted ones are read by everyone, drafts by their own."""
    return statement.is_submitted or drafts_visible(
        admin=admin, own=own, municipality_id=statement.grant.municipality_id
    )


def sees_drafts_of(user: AnyUser, municipality_id: int) -> bool:
    """May this user read the municipality's drafts (statements and accounts)?"""
    return drafts_visible(
        admin=is_admin(user), own=own_municipality_id(user), municipality_id=municipality_id
    )


def visible_to(
    queryset: QuerySet[Statement], *, admin: bool, own: int | None
) -> QuerySet[Statement]:
    """The statements of `queryset` a reader may read: submitted ones, and the drafts of their
    own municipality `own` (every draft for an administrator)."""
    if admin:
        return queryset
    own_drafts = Q(grant__municipality_id=own) if own else Q(pk=None)
    return queryset.filter(Q(status=Statement.Status.SUBMITTED) | own_drafts)


def visible_statements(user: AnyUser, queryset: QuerySet[Statement]) -> QuerySet[Statement]:
    return visible_to(queryset, admin=is_admin(user), own=own_municipality_id(user))


def check_write(user: AnyUser, municipality: Municipality) -> None:
    """Raise 403 for a user who may write nothing, 404 for another municipality's object."""
    if not is_writer(user):
        raise PermissionDenied
    if not can_write_municipality(user, municipality):
        raise Http404


def statement_queryset() -> QuerySet[Statement]:
    """Everything a statement page, workbook or figure needs, in a fixed number of queries."""
    # No users joined (submitted_by, the accounts' two): each join of auth_user cost PostgreSQL
    # ~0.5-2 ms of planning on every statement page (measured); a page that names one loads it.
    return Statement.objects.select_related(
        "grant__municipality", "grant__grant_year__programme"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=AllocationLine.objects.select_related("row").order_by(
                "row__table", "row__position"
            ),
        )
    )


def get_statement_for_user(
    user: AnyUser,
    code: str,
    programme: str,
    year: int,
    *,
    write: bool = False,
    lines: bool = True,
) -> Statement:
    """The statement for this user; `lines=False` skips loading its lines (a cache lookup)."""
    queryset = (
        statement_queryset()
        if lines
        else Statement.objects.select_related("grant__municipality", "grant__grant_year__programme")
    )
    try:
        statement = queryset.get(
            grant__municipality__code=code,
            grant__grant_year__programme__slug=programme,
            grant__grant_year__year=year,
        )
    except Statement.DoesNotExist:
        raise Http404 from None
    return check_statement_access(user, statement, write=write)


def check_statement_access(
    user: AnyUser, statement: Statement, *, write: bool = False
) -> Statement:
    """The statement, if this user may read it (or write it): another municipality's draft is a
    404, as if it were not there; a write outside one's municipality a 404 or a 403."""
    if write:
        check_write(user, statement.grant.municipality)
    elif not statement_readable(statement, admin=is_admin(user), own=own_municipality_id(user)):
        raise Http404
    return statement
