"""What a statement waits for, and whose move it is: the one next action for its state.

Written once for the finance staff's landing ("Dine opgaver") and the statement page's primary
button, so both always agree on what comes next (DESIGN.md § A statement's life).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.models import GrantYear, Municipality, Statement, StatementStep

STEP_ACTIONS = {
    StatementStep.Kind.COUNCIL_APPROVAL: gettext_lazy("Registrér kommunalbestyrelsens godkendelse"),
    StatementStep.Kind.SENT: gettext_lazy("Registrér afsendelsen til ministeriet"),
    StatementStep.Kind.PUBLISHED: gettext_lazy("Registrér offentliggørelsen"),
}


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    kind: str  # "grant", "edit", "step" or "accounts"


@dataclass(frozen=True)
class NextMove:
    """The one action a statement waits for (None: nothing to do), and a line saying why."""

    action: Action | None
    note: str = ""


def statement_url(statement: Statement, name: str = "grants:statement", **extra: object) -> str:
    grant_year = statement.grant.grant_year
    return reverse(
        name,
        kwargs={
            "code": statement.grant.municipality.code,
            "programme": grant_year.programme.slug,
            "year": grant_year.year,
            **extra,
        },
    )


def next_move(statement: Statement, *, recorded: set[str], user_id: int | None) -> NextMove:
    """For finance staff of the statement's municipality: what to do next. `recorded`: the kinds
    of the steps recorded after submission."""
    if not statement.is_submitted:
        edit = statement_url(statement, "grants:statement_edit")
        return NextMove(Action(_("Fortsæt kladden"), edit, "edit"))
    for kind in StatementStep.ORDER:
        if kind not in recorded:
            url = statement_url(statement, "grants:statement_step", kind=kind)
            return NextMove(Action(str(STEP_ACTIONS[kind]), url, "step"))
    accounts = statement_url(statement, "grants:statement_accounts")
    if statement.accounts_status == Statement.AccountsStatus.NONE:
        return NextMove(Action(_("Indtast regnskab"), accounts, "accounts"))
    if statement.accounts_status == Statement.AccountsStatus.DRAFT:
        if statement.accounts_entered_by_id is not None and statement.accounts_entered_by_id == (
            user_id
        ):
            return NextMove(None, _("Regnskabet venter på, at en kollega godkender det."))
        return NextMove(Action(_("Godkend regnskabet"), accounts, "accounts"))
    return NextMove(None, _("Færdig: redegørelse og regnskab er godkendt."))


@dataclass(frozen=True)
class Task:
    grant_year: GrantYear
    statement: Statement | None
    move: NextMove

    @property
    def overdue(self) -> bool:
        """A statement not submitted by the year's deadline."""
        submitted = self.statement is not None and self.statement.is_submitted
        return not submitted and self.grant_year.is_overdue(timezone.localdate())


def municipality_tasks(municipality: Municipality, *, user_id: int | None) -> list[Task]:
    """Every programme-year of the municipality's: those with a grant, and those with a form
    still open to register one. Three queries."""
    statements = {
        s.grant.grant_year_id: s
        for s in Statement.objects.filter(grant__municipality=municipality)
        .select_related("grant__municipality", "grant__grant_year__programme")
        .prefetch_related(
            Prefetch("steps", queryset=StatementStep.objects.only("statement", "kind"))
        )
    }
    tasks = []
    for grant_year in GrantYear.objects.select_related("programme"):
        statement = statements.get(grant_year.pk)
        if statement is not None:
            recorded = {step.kind for step in statement.steps.all()}
            move = next_move(statement, recorded=recorded, user_id=user_id)
        elif grant_year.has_form:
            url = reverse("grants:grant_new") + f"?grant_year={grant_year.pk}"
            move = NextMove(Action(_("Registrér tilskud"), url, "grant"))
        else:
            continue
        tasks.append(Task(grant_year, statement, move))
    return tasks


def by_programme(tasks: list[Task]) -> list[tuple[object, list[Task]]]:
    """The tasks grouped by programme, in the programmes' order."""
    groups: dict[int, list[Task]] = defaultdict(list)
    programmes = {}
    for task in tasks:
        programmes[task.grant_year.programme_id] = task.grant_year.programme
        groups[task.grant_year.programme_id].append(task)
    return [(programmes[pk], groups[pk]) for pk in groups]


@dataclass(frozen=True)
class AdminTasks:
    """What administrators keep: deadlines to set, and drafts past their deadline."""

    without_deadline: list[GrantYear]
    overdue: list[Statement]
    overdue_count: int


def admin_tasks(*, limit: int = 25) -> AdminTasks:
    """Three queries."""
    today = timezone.localdate()
    overdue = Statement.objects.filter(
        status=Statement.Status.DRAFT, grant__grant_year__deadline__lt=today
    ).select_related("grant__municipality", "grant__grant_year__programme")
    return AdminTasks(
        without_deadline=list(
            GrantYear.objects.filter(has_form=True, deadline=None).select_related("programme")
        ),
        overdue=list(overdue[:limit]),
        overdue_count=overdue.count(),
    )
