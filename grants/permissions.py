"""Who may see and change what, in one module.

Every logged-in user may read every statement, initiative and proposal (committee members browse
across municipalities). Finance staff may change only their own municipality's objects; readers
change nothing; superusers (administrators) change everything. On a write, another municipality's
object is a 404 (its existence is not the user's business there) and a reader gets a 403.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
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


def check_write(user: AnyUser, municipality: Municipality) -> None:
    """Raise 403 for a user who may write nothing, 404 for another municipality's object."""
    if not is_writer(user):
        raise PermissionDenied
    if not can_write_municipality(user, municipality):
        raise Http404


def statement_queryset() -> QuerySet[Statement]:
    """Everything a statement page, workbook or figure needs, in a fixed number of queries."""
    return Statement.objects.select_related(
        "grant__municipality", "grant__grant_year__programme", "submitted_by"
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
    if write:
        check_write(user, statement.grant.municipality)
    return statement
