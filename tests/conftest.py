import os

import pytest
from django.contrib.auth import get_user_model

from budgets.seed import load_seed
from grants.models import AuditChange, AuditEvent, Membership, Municipality, Statement
from grants.permissions import statement_queryset

# Playwright's sync API leaves an asyncio loop marked running in the test process; Django would
# refuse database access from live_server tests. Test process only, never in settings.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    """LibreOffice tests: skipped where it is missing, except in CI (CI=true), where a skipped
    recalculation would hide a missing install."""
    from tests.libreoffice import SOFFICE

    if SOFFICE or os.environ.get("CI"):
        return
    for item in items:
        if item.get_closest_marker("libreoffice"):
            item.add_marker(pytest.mark.skip(reason="LibreOffice is not installed"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the seed data once into the test database; each test runs in a transaction that
    is rolled back, so every test starts from it."""
    with django_db_blocker.unblock():
        load_seed()


@pytest.fixture
def seed(db):
    """The reference and seed data, as `make run` loads it. Transactional tests (which empty
    the database when they end, and which pytest-django runs last) load it again."""
    if not Municipality.objects.exists():
        load_seed()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (rolled-back databases reuse primary keys)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def danish_to_begin_with():
    """Each test starts in Danish: a test client request in English (the language switcher)
    leaves English active in the worker's thread, where a later test's forms and rules would
    speak it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Tests create users by the dozen; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(
    username: str, *, role: str | None = None, code: str | None = None, superuser: bool = False
):
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, is_superuser=superuser, is_staff=superuser
    )
    if role:
        Membership.objects.create(
            user=user,
            role=role,
            municipality=Municipality.objects.get(code=code) if code else None,
        )
    return user


@pytest.fixture
def lyngby(seed):
    """Finance staff of Lyngby-Taarbæk (173)."""
    return make_user("lyngby", role=Membership.Role.FINANCE, code="173")


@pytest.fixture
def ishoj(seed):
    """Finance staff of Ishøj (183)."""
    return make_user("ishoj", role=Membership.Role.FINANCE, code="183")


@pytest.fixture
def reader(seed):
    """A committee member: reads everything, changes nothing."""
    return make_user("udvalg", role=Membership.Role.READER)


@pytest.fixture
def ishoj_reader(seed):
    """A committee member of Ishøj's: reads everything submitted, and Ishøj's drafts."""
    return make_user("udvalg-ishoj", role=Membership.Role.READER, code="183")


@pytest.fixture
def administrator(seed):
    return make_user("admin", superuser=True)


def recorded(**event_filters) -> list[tuple[str, str, str]]:
    """The audit trail's changes as the history shows them, oldest first: (label, before, after).
    Filters apply to the event, e.g. recorded(statement=s, action="import")."""
    changes = AuditChange.objects.filter(
        **{f"event__{name}": value for name, value in event_filters.items()}
    ).select_related("row")
    return [
        (c.label, c.before_display, c.after_display) for c in changes.order_by("event_id", "id")
    ]


def audit_size() -> tuple[int, int]:
    """How many events and changes the trail holds (a refused request adds none)."""
    return AuditEvent.objects.count(), AuditChange.objects.count()


def get_statement(code: str, year: int, programme: str = "vaerdighed") -> Statement:
    return statement_queryset().get(
        grant__municipality__code=code,
        grant__grant_year__programme__slug=programme,
        grant__grant_year__year=year,
    )
