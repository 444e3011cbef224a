"""State changes of grants, statements and initiatives. Each is one function: keyword-only, typed,
atomic, writing its audit event, raising a named exception instead of returning silently. Views,
imports and management commands all come through here, so the rules and the audit trail hold on
every path.

What a save changes is computed once (`statement_changes`, `accounts_changes`,
`initiative_changes`): the save records exactly those changes, the import preview shows them, and
the history renders the recorded ones (grants.models.AuditChange).
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grants.models import (
    AllocationLine,
    AuditChange,
    AuditEvent,
    Grant,
    GrantYear,
    Initiative,
    InitiativeAmount,
    Municipality,
    Programme,
    SourceDocument,
    Statement,
    StatementStep,
)
from grants.money import format_kroner
from grants.permissions import statement_queryset
from grants.rules import (
    AccountsFigures,
    Issue,
    StatementFigures,
    accounts_figures,
    statement_figures,
)
from grants.text import text_error

if TYPE_CHECKING:
    from grants.grant_table import GrantFigure
    from grants.imports import ParsedStatement

User = AbstractBaseUser


class StatementError(Exception):
    """Base of the refusals below; str(error) is a Danish message for the user."""


class StatementFrozen(StatementError):
    def __init__(self) -> None:
        super().__init__(_("Redegørelsen er indsendt og kan ikke ændres. Den skal genåbnes først."))


class StaleVersion(StatementError):
    """Someone else saved the statement since this user opened it."""

    def __init__(self, current: Statement) -> None:
        self.current = current
        super().__init__(
            _("Redegørelsen er blevet ændret af en anden, siden du åbnede den. Intet er gemt.")
        )


class RulesNotMet(StatementError):
    def __init__(self, errors: list[Issue]) -> None:
        self.errors = errors
        super().__init__(" ".join(issue.message for issue in errors))


class NotSubmitted(StatementError):
    def __init__(self) -> None:
        super().__init__(_("Redegørelsen er ikke indsendt."))


class AccountsFrozen(StatementError):
    def __init__(self) -> None:
        super().__init__(_("Regnskabet er godkendt og kan ikke ændres. Det skal genåbnes først."))


class SameApprover(StatementError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Du indtastede selv regnskabets tal sidst; en anden skal godkende det "
                "(attestation og godkendelse er to personer)."
            )
        )


class AccountsChangedOnApproval(StatementError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Godkendelsen gælder de gemte tal, men du har ændret tal. Intet er gemt: gem "
                "ændringerne som kladde, så godkender en kollega dem."
            )
        )


class AccountsNotApproved(StatementError):
    def __init__(self) -> None:
        super().__init__(_("Regnskabet er ikke godkendt."))


class AccountsStarted(StatementError):
    def __init__(self) -> None:
        super().__init__(
            _("Regnskabet for redegørelsen er påbegyndt, så redegørelsen kan ikke genåbnes.")
        )


class AccountsRulesNotMet(StatementError):
    def __init__(self, errors: list[Issue]) -> None:
        self.errors = errors
        super().__init__(" ".join(issue.message for issue in errors))


class ReasonRequired(StatementError):
    def __init__(self) -> None:
        super().__init__(_("Angiv en begrundelse for genåbningen."))


class StepOutOfOrder(StatementError):
    """A step needs the one before it (approval, then sending, then publication)."""


class StepAlreadyRecorded(StatementError):
    def __init__(self) -> None:
        super().__init__(
            _("Trinnet er allerede registreret. Det kan kun rettes ved at genåbne det.")
        )


class StepNotRecorded(StatementError):
    def __init__(self) -> None:
        super().__init__(_("Trinnet er ikke registreret."))


class ImportMismatch(StatementError):
    """The file is for another municipality or year than the statement it is imported into."""


class GrantExists(StatementError):
    def __init__(self) -> None:
        super().__init__(_("Kommunen har allerede et tilskud for dette år."))


@dataclass
class StatementValues:
    """What a user (or a file) wants a statement to hold. Rows not named are left as they are."""

    amounts: dict[int, int | None] = field(default_factory=dict)  # FormRow pk -> amount
    specifications: dict[int, str] = field(default_factory=dict)  # FormRow pk -> text
    box1: str | None = None
    box2_confirmed: bool | None = None
    grant: int | None = None  # the grant amount, when the user changes it


def clean_text(text: str | None) -> str:
    """The one normalisation of user text before it is compared or stored: line breaks as "\\n"
    (browsers send "\\r\\n"), no surrounding whitespace."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


# --- What a save changes (one diff) -------------------------------------------------------------


def statement_changes(statement: Statement, values: StatementValues) -> list[AuditChange]:
    """What applying `values` to `statement` would change, in the form's order, as unsaved
    AuditChange rows. Expects `statement.lines` with their rows (statement_queryset)."""
    changes: list[AuditChange] = []
    grant = statement.grant.amount
    if values.grant is not None and values.grant != grant:
        changes.append(
            AuditChange(
                field=AuditChange.Field.GRANT, before_amount=grant, after_amount=values.grant
            )
        )
    for line in statement.lines.all():
        if line.row_id in values.amounts and values.amounts[line.row_id] != line.amount:
            changes.append(
                AuditChange(
                    field=AuditChange.Field.AMOUNT,
                    row=line.row,
                    before_amount=line.amount,
                    after_amount=values.amounts[line.row_id],
                )
            )
        if line.row_id in values.specifications:
            spec = clean_text(values.specifications[line.row_id])
            if spec != line.specification:
                changes.append(
                    AuditChange(
                        field=AuditChange.Field.SPECIFICATION,
                        row=line.row,
                        before_text=line.specification,
                        after_text=spec,
                    )
                )
    if values.box1 is not None and clean_text(values.box1) != statement.box1:
        changes.append(
            AuditChange(
                field=AuditChange.Field.BOX1,
                before_text=statement.box1,
                after_text=clean_text(values.box1),
            )
        )
    if values.box2_confirmed is not None and values.box2_confirmed != statement.box2_confirmed:
        changes.append(
            AuditChange(
                field=AuditChange.Field.BOX2,
                before_text=_yes_no(statement.box2_confirmed),
                after_text=_yes_no(values.box2_confirmed),
            )
        )
    return changes


def accounts_changes(statement: Statement, actuals: dict[int, int | None]) -> list[AuditChange]:
    """What applying the accounts' actual amounts per form row would change."""
    return [
        AuditChange(
            field=AuditChange.Field.ACTUAL,
            row=line.row,
            before_amount=line.actual,
            after_amount=actuals[line.row_id],
        )
        for line in statement.lines.all()
        if line.row_id in actuals and actuals[line.row_id] != line.actual
    ]


# --- Statements ---------------------------------------------------------------------------------


def _lock(statement: Statement, expected_version: int | None, *, part: str = "budget") -> Statement:
    """Re-read the statement with its lines inside the transaction, locked where the database can
    lock, and check that the part being written is open (the budget: a draft statement; the
    accounts: a submitted statement whose accounts are not approved) at the version the user
    started from."""
    current = statement_queryset().select_for_update(of=("self",)).get(pk=statement.pk)
    if part == "budget" and current.status != Statement.Status.DRAFT:
        raise StatementFrozen
    if part == "accounts":
        if current.status != Statement.Status.SUBMITTED:
            raise NotSubmitted
        if current.accounts_status == Statement.AccountsStatus.APPROVED:
            raise AccountsFrozen
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current)
    return current


def _bump(current: Statement, **fields: object) -> None:
    """Advance the version only if nobody else did meanwhile. select_for_update is a no-op on
    SQLite, so this conditional UPDATE is what makes the check hold there too."""
    updated = Statement.objects.filter(pk=current.pk, version=current.version).update(
        version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    if updated != 1:
        raise StaleVersion(Statement.objects.get(pk=current.pk))
    current.refresh_from_db(
        fields=[
            "status",
            "box1",
            "box2_confirmed",
            "version",
            "submitted_at",
            "submitted_by",
            "updated_at",
            "accounts_status",
            "accounts_approved_at",
            "accounts_approved_by",
            "accounts_entered_by",
        ]
    )


def _record(
    changes: list[AuditChange],
    *,
    action: str,
    acting_user: User | None,
    statement: Statement | None = None,
    initiative: Initiative | None = None,
    **event_fields: object,
) -> AuditEvent:
    """One audit event with its changes."""
    event = AuditEvent.objects.create(
        statement=statement,
        grant=statement.grant if statement is not None else None,
        initiative=initiative,
        actor=acting_user,
        action=action,
        **event_fields,
    )
    for change in changes:
        change.event = event
    AuditChange.objects.bulk_create(changes)
    return event


def _sync(statement: Statement, current: Statement) -> None:
    """Give the caller's object the saved state."""
    for name in (
        "status",
        "box1",
        "box2_confirmed",
        "version",
        "submitted_at",
        "submitted_by_id",
        "updated_at",
        "accounts_status",
        "accounts_approved_at",
        "accounts_approved_by_id",
        "accounts_entered_by_id",
    ):
        setattr(statement, name, getattr(current, name))


def save_statement(
    *,
    statement: Statement,
    values: StatementValues,
    acting_user: User | None,
    expected_version: int | None,
    action: str = AuditEvent.Action.UPDATE,
    filename: str = "",
) -> list[AuditChange]:
    """Save a draft: whatever the balance (DESIGN.md rule 2), but never over a newer version
    (rule 4) and never into a submitted statement (rule 3). Returns the changes recorded."""
    with transaction.atomic():
        current = _lock(statement, expected_version)
        lines = {line.row_id: line for line in current.lines.all()}
        if (set(values.amounts) | set(values.specifications)) - set(lines):
            raise StatementError(_("Rækken hører ikke til dette års skema."))
        changes = statement_changes(current, values)
        if not changes:
            return []
        dirty: dict[int, AllocationLine] = {}
        statement_fields: dict[str, object] = {}
        for change in changes:
            if change.field == AuditChange.Field.GRANT:
                grant = current.grant
                grant.amount = change.after_amount
                grant.full_clean(validate_unique=False)
                grant.save(update_fields=["amount"])
            elif change.field == AuditChange.Field.AMOUNT:
                dirty.setdefault(change.row.pk, lines[change.row.pk]).amount = change.after_amount
            elif change.field == AuditChange.Field.SPECIFICATION:
                dirty.setdefault(
                    change.row.pk, lines[change.row.pk]
                ).specification = change.after_text
            elif change.field == AuditChange.Field.BOX1:
                statement_fields["box1"] = change.after_text
            elif change.field == AuditChange.Field.BOX2:
                statement_fields["box2_confirmed"] = change.after_text == "yes"
        for line in dirty.values():
            line.full_clean(validate_unique=False, validate_constraints=True)
        AllocationLine.objects.bulk_update(dirty.values(), ["amount", "specification"])
        _bump(current, **statement_fields)
        _record(
            changes, action=action, acting_user=acting_user, statement=current, filename=filename
        )
        _sync(statement, current)
        return changes


def submit_statement(
    *, statement: Statement, acting_user: User, expected_version: int | None = None
) -> StatementFigures:
    """Submit a draft whose figures in the database meet every rule; then it is frozen."""
    with transaction.atomic():
        current = _lock(statement, expected_version)
        figures = statement_figures(current)
        if figures.errors:
            raise RulesNotMet(figures.errors)
        _bump(
            current,
            status=Statement.Status.SUBMITTED,
            submitted_at=timezone.now(),
            submitted_by=acting_user,
        )
        _record(
            [_status_change(Statement.Status.DRAFT, Statement.Status.SUBMITTED)],
            action=AuditEvent.Action.SUBMIT,
            acting_user=acting_user,
            statement=current,
        )
        _sync(statement, current)
        return figures


def _status_change(before: str, after: str, *, accounts: bool = False) -> AuditChange:
    field_name = AuditChange.Field.ACCOUNTS_STATUS if accounts else AuditChange.Field.STATUS
    return AuditChange(field=field_name, before_text=before, after_text=after)


def reopen_statement(*, statement: Statement, acting_user: User, reason: str) -> None:
    """Make a submitted statement a draft again (administrators; DESIGN.md rule 3). The steps
    recorded after its submission (approval, sending, publication) no longer hold for what will
    be changed: they are taken back too, and stay in the history."""
    reason = clean_text(reason)
    if not reason:
        raise ReasonRequired
    with transaction.atomic():
        current = Statement.objects.select_for_update().select_related("grant").get(pk=statement.pk)
        if current.status != Statement.Status.SUBMITTED:
            raise NotSubmitted
        if current.accounts_status != Statement.AccountsStatus.NONE:
            raise AccountsStarted
        steps = list(StatementStep.objects.filter(statement=current))
        StatementStep.objects.filter(statement=current).delete()
        _bump(current, status=Statement.Status.DRAFT, submitted_at=None, submitted_by=None)
        _record(
            [_status_change(Statement.Status.SUBMITTED, Statement.Status.DRAFT)]
            + [change for step in steps for change in _step_changes(step, before=True)],
            action=AuditEvent.Action.REOPEN,
            acting_user=acting_user,
            statement=current,
            reason=reason,
        )
        _sync(statement, current)


# --- After submission: the council's approval, the sending, the publication -------------------


def _step_changes(step: StatementStep, *, before: bool = False) -> list[AuditChange]:
    """A step's date, body and reference as audit changes (after, or before when reopened)."""
    values = [
        (AuditChange.Field.STEP, step.kind),
        (AuditChange.Field.STEP_DATE, step.date.isoformat() if step.date else ""),
        (AuditChange.Field.STEP_BODY, step.body),
        (AuditChange.Field.STEP_REFERENCE, step.reference),
    ]
    side = "before_text" if before else "after_text"
    return [AuditChange(field=f, **{side: value}) for f, value in values if value]


def record_step(
    *,
    statement: Statement,
    kind: str,
    date: datetime.date,
    acting_user: User,
    body: str = "",
    reference: str = "",
) -> StatementStep:
    """Record that the council approved a submitted statement, that it was sent to the ministry,
    or that it was published, in that order, each once (DESIGN.md § A statement's life)."""
    order = list(StatementStep.ORDER)
    with transaction.atomic():
        current = Statement.objects.select_for_update().select_related("grant").get(pk=statement.pk)
        if current.status != Statement.Status.SUBMITTED:
            raise NotSubmitted
        recorded = set(
            StatementStep.objects.filter(statement=current).values_list("kind", flat=True)
        )
        if kind in recorded:
            raise StepAlreadyRecorded
        missing = [k for k in order[: order.index(kind)] if k not in recorded]
        if missing:
            raise StepOutOfOrder(
                _("Først skal dette registreres: %(step)s.")
                % {"step": StatementStep.Kind(missing[0]).label}
            )
        step = StatementStep(
            statement=current,
            kind=kind,
            date=date,
            body=clean_text(body),
            reference=clean_text(reference),
            recorded_by=acting_user,
        )
        step.full_clean()
        step.save()
        _bump(current)
        _record(_step_changes(step), action=kind, acting_user=acting_user, statement=current)
        _sync(statement, current)
        return step


def reopen_step(*, statement: Statement, kind: str, acting_user: User, reason: str) -> None:
    """Take back a recorded step, and the steps after it, so it can be recorded again
    correctly (administrators). The reason and what was recorded stay in the history."""
    reason = clean_text(reason)
    if not reason:
        raise ReasonRequired
    order = list(StatementStep.ORDER)
    with transaction.atomic():
        current = Statement.objects.select_for_update().select_related("grant").get(pk=statement.pk)
        steps = {s.kind: s for s in StatementStep.objects.filter(statement=current)}
        if kind not in steps:
            raise StepNotRecorded
        undone = [steps[k] for k in order[order.index(kind) :] if k in steps]
        changes = [change for step in undone for change in _step_changes(step, before=True)]
        StatementStep.objects.filter(pk__in=[s.pk for s in undone]).delete()
        _bump(current)
        _record(
            changes,
            action=AuditEvent.Action.STEP_REOPEN,
            acting_user=acting_user,
            statement=current,
            reason=reason,
        )
        _sync(statement, current)


def register_grant(
    *,
    municipality: Municipality,
    grant_year: GrantYear,
    amount: int,
    acting_user: User | None,
    source: SourceDocument | None = None,
    filename: str = "",
) -> Statement:
    """Register a grant and create its draft statement with one empty line per form row.
    `source`: the document the amount comes from (None: the municipality registers it)."""
    grant = Grant(municipality=municipality, grant_year=grant_year, amount=amount, source=source)
    try:
        with transaction.atomic():
            grant.full_clean()  # also the one-grant-per-year constraint
            grant.save()
            statement = Statement.objects.create(grant=grant)
            AllocationLine.objects.bulk_create(
                AllocationLine(statement=statement, row=row) for row in grant_year.rows.all()
            )
            _record(
                [AuditChange(field=AuditChange.Field.GRANT, after_amount=amount)],
                action=AuditEvent.Action.CREATE,
                acting_user=acting_user,
                statement=statement,
                source=source,
                filename=filename,
            )
            return statement
    except (ValidationError, IntegrityError):
        # Registered already, or by a request running at the same moment (then the database's
        # unique constraint refused this one).
        if Grant.objects.filter(municipality=municipality, grant_year=grant_year).exists():
            raise GrantExists from None
        raise


# --- The ministry's grant table ---------------------------------------------------------------

# The reason recorded when a correction reopens a submitted statement. Stored as data, in Danish,
# like the reason an administrator types (the history shows reasons as they were given).
GRANT_CORRECTION_REASON = "Tilskuddet rettet efter ministeriets tabel"


class CorrectionRequired(StatementError):
    """A submitted statement's grant would change, which happens only as a confirmed
    correction (it reopens the statement). `errors` names each grant."""

    def __init__(self, errors: list[str] | None = None) -> None:
        self.errors = errors or [
            _(
                "Redegørelsen er indsendt; tilskuddet ændres kun som en bekræftet rettelse, "
                "der genåbner redegørelsen."
            )
        ]
        super().__init__(" ".join(self.errors))


class GrantTableError(StatementError):
    """A grant table that cannot be applied as it stands; `errors` names each row and cell."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors))


class GrantTableStale(StatementError):
    """The grants changed between the preview and its confirmation."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Tilskuddene er ændret, siden forhåndsvisningen blev lavet. Intet er indlæst; "
                "indlæs tabellen igen."
            )
        )


@dataclass(frozen=True)
class GrantTableEntry:
    """What the table does to one municipality's grant for one year: registers it (no grant
    before), changes it, or leaves it as it is."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"

    figure: "GrantFigure"
    grant_year: GrantYear
    grant: Grant | None = None
    before: int | None = None  # the grant's amount when the plan was made
    submitted: bool = False
    accounts_started: bool = False

    @property
    def amount(self) -> int:
        return self.figure.amount

    @property
    def kind(self) -> str:
        if self.grant is None:
            return self.NEW
        return self.UNCHANGED if self.before == self.amount else self.CHANGED

    @property
    def kind_label(self) -> str:
        if self.is_correction:
            return _("Rettelse af indsendt redegørelse")
        return {self.NEW: _("Nyt"), self.CHANGED: _("Ændret"), self.UNCHANGED: _("Uændret")}[
            self.kind
        ]

    @property
    def is_correction(self) -> bool:
        """A submitted statement's grant changes: only when confirmed, and it reopens it."""
        return self.kind == self.CHANGED and self.submitted

    @property
    def label(self) -> str:
        return f"{self.figure.municipality.name} {self.grant_year.year}"

    @property
    def key(self) -> list:
        """What the preview showed, to compare at confirmation (JSON, for a signed token)."""
        return [self.figure.municipality.pk, self.grant_year.year, self.before, self.amount]

    @property
    def problem(self) -> str | None:
        """Why the entry cannot be applied even as a correction, or None."""
        if self.is_correction and self.accounts_started:
            return _(
                "%(ref)s: regnskabet for %(label)s er påbegyndt, så redegørelsen kan ikke "
                "genåbnes, og tilskuddet kan ikke rettes."
            ) % {"ref": self.figure.ref, "label": self.label}
        return None


@dataclass
class GrantTablePlan:
    """Every grant the table names, in the table's order, and what applying it does."""

    entries: list[GrantTableEntry]

    def of_kind(self, kind: str) -> list[GrantTableEntry]:
        return [e for e in self.entries if e.kind == kind]

    @property
    def new(self) -> list[GrantTableEntry]:
        return self.of_kind(GrantTableEntry.NEW)

    @property
    def changed(self) -> list[GrantTableEntry]:
        return self.of_kind(GrantTableEntry.CHANGED)

    @property
    def unchanged(self) -> list[GrantTableEntry]:
        return self.of_kind(GrantTableEntry.UNCHANGED)

    @property
    def corrections(self) -> list[GrantTableEntry]:
        return [e for e in self.entries if e.is_correction]

    @property
    def key(self) -> list[list]:
        return [e.key for e in self.entries]

    @property
    def summary(self) -> str:
        """ "2 nye, 1 ændret (heraf 1 rettelse af en indsendt redegørelse), 21 uændrede." """
        new, changed, same = len(self.new), len(self.changed), len(self.unchanged)
        corrections = len(self.corrections)
        parts = [
            ngettext("%(count)s nyt", "%(count)s nye", new) % {"count": new},
            ngettext("%(count)s ændret", "%(count)s ændrede", changed) % {"count": changed},
        ]
        if corrections:
            parts[-1] += " (%s)" % (
                ngettext(
                    "heraf %(count)s rettelse af en indsendt redegørelse",
                    "heraf %(count)s rettelser af indsendte redegørelser",
                    corrections,
                )
                % {"count": corrections}
            )
        parts.append(ngettext("%(count)s uændret", "%(count)s uændrede", same) % {"count": same})
        return _("%(parts)s tilskud.") % {"parts": ", ".join(parts)}


def plan_grant_table(*, programme: Programme, figures: list["GrantFigure"]) -> GrantTablePlan:
    """What applying `figures` (grants.grant_table) to `programme` would do. Writes nothing."""
    years = {gy.year: gy for gy in programme.years.all()}
    errors = [
        _("%(ref)s: %(programme)s har ikke året %(year)s.")
        % {"ref": f.ref, "programme": programme.name, "year": f.year}
        for f in figures
        if f.year not in years
    ]
    seen: set[tuple[int, int]] = set()
    for f in figures:
        if (f.municipality.pk, f.year) in seen:
            errors.append(
                _("%(ref)s: %(municipality)s %(year)s står to gange i tabellen.")
                % {"ref": f.ref, "municipality": f.municipality.name, "year": f.year}
            )
        seen.add((f.municipality.pk, f.year))
    if errors:
        raise GrantTableError(errors)
    grants = {
        (g.municipality_id, g.grant_year_id): g
        for g in Grant.objects.filter(
            grant_year__programme=programme,
            municipality__in={f.municipality.pk for f in figures},
        ).select_related("statement")
    }
    entries = []
    for f in figures:
        grant_year = years[f.year]
        grant = grants.get((f.municipality.pk, grant_year.pk))
        statement = getattr(grant, "statement", None) if grant is not None else None
        entries.append(
            GrantTableEntry(
                figure=f,
                grant_year=grant_year,
                grant=grant,
                before=None if grant is None else grant.amount,
                submitted=statement is not None and statement.is_submitted,
                accounts_started=statement is not None
                and statement.accounts_status != Statement.AccountsStatus.NONE,
            )
        )
    return GrantTablePlan(entries)


def check_grant_table(plan: GrantTablePlan, *, correct: bool) -> None:
    """Refuse what may not be applied: a submitted statement's grant unless `correct` confirms
    the correction, and never one whose accounts are started. Writes nothing."""
    problems = [e.problem for e in plan.entries if e.problem]
    if problems:
        raise GrantTableError(problems)
    if plan.corrections and not correct:
        raise CorrectionRequired(
            [
                _(
                    "%(ref)s: redegørelsen for %(label)s er indsendt; tilskuddet ændres fra "
                    "%(before)s til %(after)s kr. kun som en bekræftet rettelse, der genåbner "
                    "redegørelsen."
                )
                % {
                    "ref": e.figure.ref,
                    "label": e.label,
                    "before": format_kroner(e.before),
                    "after": format_kroner(e.amount),
                }
                for e in plan.corrections
            ]
        )


def grant_table_source(source: SourceDocument | str) -> SourceDocument:
    """The document an imported table's grants come from: `source` itself, or the one with
    that title, or a new one (its key derived from the title, so the same title finds it)."""
    if isinstance(source, SourceDocument):
        return source
    title = clean_text(source)
    problem = text_error(title, max_length=SourceDocument._meta.get_field("title").max_length)
    if not title or problem:
        raise GrantTableError([problem or _("Angiv kildens titel.")])
    existing = SourceDocument.objects.filter(title=title).order_by("pk").first()
    if existing is not None:
        return existing
    key = "tabel-" + hashlib.sha256(title.encode()).hexdigest()[:12]
    document, _created = SourceDocument.objects.get_or_create(key=key, defaults={"title": title})
    return document


def correct_grant(
    *,
    grant: Grant,
    amount: int,
    acting_user: User | None,
    source: SourceDocument | None = None,
    filename: str = "",
    correct: bool = False,
) -> list[AuditChange]:
    """Change a grant's amount (and the document it comes from), recorded with before and
    after. A submitted statement's grant changes only with `correct`: the statement is reopened
    first (with GRANT_CORRECTION_REASON), as the database requires (a submitted statement must
    balance and is frozen); its tables must then be split again and submitted anew."""
    with transaction.atomic():
        statement = Statement.objects.select_related("grant").get(grant_id=grant.pk)
        if statement.grant.amount == amount:
            return []
        if statement.is_submitted:
            if not correct:
                raise CorrectionRequired
            reopen_statement(
                statement=statement, acting_user=acting_user, reason=GRANT_CORRECTION_REASON
            )
        current = _lock(statement, None)
        grant_now = current.grant
        change = AuditChange(
            field=AuditChange.Field.GRANT, before_amount=grant_now.amount, after_amount=amount
        )
        grant_now.amount = amount
        if source is not None:
            grant_now.source = source
        grant_now.full_clean(validate_unique=False)
        grant_now.save(update_fields=["amount", "source"])
        _bump(current)
        _record(
            [change],
            action=AuditEvent.Action.GRANT_CORRECTION,
            acting_user=acting_user,
            statement=current,
            source=source,
            filename=filename,
        )
        grant.amount, grant.source = grant_now.amount, grant_now.source
        return [change]


def apply_grant_table(
    *,
    programme: Programme,
    figures: list["GrantFigure"],
    acting_user: User | None,
    source: SourceDocument | str,
    correct: bool = False,
    filename: str = "",
    expected: list[list] | None = None,
) -> GrantTablePlan:
    """Register the table's new grants (register_grant: each with its draft statement) and
    change those that differ (correct_grant), all or nothing. `source` is the table's document
    or its title (grant_table_source); `expected` is the plan's key as previewed: if the grants
    changed since, nothing is written (GrantTableStale). Returns the plan it applied; a table
    that changes nothing writes nothing, not even its source document."""
    with transaction.atomic():
        plan = plan_grant_table(programme=programme, figures=figures)
        if expected is not None and plan.key != expected:
            raise GrantTableStale
        check_grant_table(plan, correct=correct)
        if not plan.new and not plan.changed:
            return plan
        document = grant_table_source(source)
        for entry in plan.entries:
            if entry.kind == GrantTableEntry.NEW:
                register_grant(
                    municipality=entry.figure.municipality,
                    grant_year=entry.grant_year,
                    amount=entry.amount,
                    acting_user=acting_user,
                    source=document,
                    filename=filename,
                )
            elif entry.kind == GrantTableEntry.CHANGED:
                correct_grant(
                    grant=entry.grant,
                    amount=entry.amount,
                    acting_user=acting_user,
                    source=document,
                    filename=filename,
                    correct=correct,
                )
        return plan


def last_year_split(
    *, statement: Statement, grant_amount: int | None = None
) -> StatementValues | None:
    """Last year's split of the same municipality, scaled to this year's grant in whole kroner.

    Rows are matched by their stable code. Each table is scaled on its own; the rounding remainder
    goes to the table's largest row, so each table still sums exactly to the grant. None when there
    is no earlier statement with figures to start from.
    """
    grant = statement.grant
    target = grant.amount if grant_amount is None else grant_amount
    previous = (
        Statement.objects.filter(
            grant__municipality_id=grant.municipality_id,
            grant__grant_year__programme_id=grant.grant_year.programme_id,
            grant__grant_year__year__lt=grant.grant_year.year,
        )
        .select_related("grant")
        .prefetch_related("lines__row")
        .order_by("-grant__grant_year__year")
        .first()
    )
    if previous is None:
        return None
    old_total = {1: 0, 2: 0}
    old: dict[tuple[int, str], int] = {}
    for line in previous.lines.all():
        if line.amount:
            old[(line.row.table, line.row.code)] = line.amount
            old_total[line.row.table] += line.amount
    if not any(old_total.values()):
        return None
    values = StatementValues()
    rows = list(grant.grant_year.rows.all())
    for table in (1, 2):
        table_rows = [r for r in rows if r.table == table]
        if not old_total[table] or not table_rows:
            continue
        scaled = {
            r.pk: old.get((table, r.code), 0) * target // old_total[table] for r in table_rows
        }
        # The remainder lands on the largest row (the first of them on a tie).
        largest = max(table_rows, key=lambda r: (scaled[r.pk], -r.position))
        scaled[largest.pk] += target - sum(scaled.values())
        values.amounts.update(scaled)
    return values


# --- Initiatives --------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearAmounts:
    """An initiative's figures for one year: budgeted and actually spent, each optional
    (unknown is not 0); `onward` means the budget holds for the following years too."""

    amount: int | None = None
    actual: int | None = None
    onward: bool = False

    @property
    def known(self) -> bool:
        return self.amount is not None or self.actual is not None


INITIATIVE_FIELDS = {
    "title": AuditChange.Field.TITLE,
    "description": AuditChange.Field.DESCRIPTION,
    "effect": AuditChange.Field.EFFECT,
    "focus_area": AuditChange.Field.FOCUS_AREA,
    "programme": AuditChange.Field.PROGRAMME,
}


def _initiative_value(initiative: Initiative | None, name: str) -> str:
    """A field's stable value: text as written, a focus area or programme by its slug."""
    if initiative is None:
        return ""
    value = getattr(initiative, name)
    if name in ("focus_area", "programme"):
        return value.slug if value is not None else ""
    return value or ""


def initiative_changes(
    before: Initiative | None,
    after: Initiative,
    old_amounts: dict[int, YearAmounts],
    new_amounts: dict[int, YearAmounts],
) -> list[AuditChange]:
    """What saving `after` (and `new_amounts`, years not named left alone) changes."""
    changes = []
    for name, code in INITIATIVE_FIELDS.items():
        old, new = _initiative_value(before, name), _initiative_value(after, name)
        if old != new:
            changes.append(AuditChange(field=code, before_text=old, after_text=new))
    for year, wanted in sorted(new_amounts.items()):
        old = old_amounts.get(year, YearAmounts())
        if (old.amount, old.onward) != (wanted.amount, wanted.onward):
            changes.append(
                AuditChange(
                    field=AuditChange.Field.BUDGET,
                    year=year,
                    before_amount=old.amount,
                    after_amount=wanted.amount,
                    before_text=AuditChange.ONWARD if old.onward else "",
                    after_text=AuditChange.ONWARD if wanted.onward else "",
                )
            )
        if old.actual != wanted.actual:
            changes.append(
                AuditChange(
                    field=AuditChange.Field.SPENT,
                    year=year,
                    before_amount=old.actual,
                    after_amount=wanted.actual,
                )
            )
    return changes


class InitiativeKeyTaken(StatementError):
    def __init__(self) -> None:
        super().__init__(_("En anden indsats blev oprettet med samme navn netop nu. Prøv igen."))


def _new_initiative_key(initiative: Initiative) -> str:
    base = slugify(f"{initiative.municipality.name}-{initiative.title}")[:100] or "indsats"
    taken = set(Initiative.objects.filter(key__startswith=base).values_list("key", flat=True))
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def save_initiative(
    *, initiative: Initiative, amounts: dict[int, YearAmounts], acting_user: User
) -> list[AuditChange]:
    """Create or update an initiative and its figures per year, recording every change.
    A year whose figures are all unknown has no row; years not named are left as they are.
    A new initiative gets a key from its municipality and title; should another request take
    that key at the same moment, the next free one is tried."""
    if initiative.pk is not None:
        return _save_initiative(initiative, amounts, acting_user, created=False)
    for _attempt in range(10):
        if not initiative.key:
            initiative.key = _new_initiative_key(initiative)
        try:
            return _save_initiative(initiative, amounts, acting_user, created=True)
        except IntegrityError:
            initiative.pk, initiative.key = None, ""
    raise InitiativeKeyTaken


def _save_initiative(
    initiative: Initiative, amounts: dict[int, YearAmounts], acting_user: User, *, created: bool
) -> list[AuditChange]:
    with transaction.atomic():
        before = None if created else Initiative.objects.select_for_update().get(pk=initiative.pk)
        initiative.full_clean(validate_unique=not created)  # a taken key: IntegrityError, retried
        initiative.save()
        existing = {a.year: a for a in InitiativeAmount.objects.filter(initiative=initiative)}
        old_amounts = {y: YearAmounts(a.amount, a.actual, a.onward) for y, a in existing.items()}
        changes = initiative_changes(before, initiative, old_amounts, amounts)
        for year, wanted in amounts.items():
            if old_amounts.get(year, YearAmounts()) == wanted:
                continue
            current = existing.get(year)
            if not wanted.known:
                if current is not None:
                    current.delete()
                continue
            current = current or InitiativeAmount(initiative=initiative, year=year)
            current.amount, current.actual, current.onward = (
                wanted.amount,
                wanted.actual,
                wanted.onward,
            )
            current.full_clean()
            current.save()
        if changes:
            _record(
                changes,
                action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
                acting_user=acting_user,
                initiative=initiative,
            )
        return changes


# --- The accounts (regnskab) -------------------------------------------------------------------


def save_accounts(
    *,
    statement: Statement,
    actuals: dict[int, int | None],
    acting_user: User | None,
    expected_version: int | None,
    action: str = AuditEvent.Action.ACCOUNTS_UPDATE,
    filename: str = "",
) -> list[AuditChange]:
    """Save the accounts' actual amounts per form row (a draft, in any balance)."""
    with transaction.atomic():
        current = _lock(statement, expected_version, part="accounts")
        lines = {line.row_id: line for line in current.lines.all()}
        if set(actuals) - set(lines):
            raise StatementError(_("Rækken hører ikke til dette års skema."))
        changes = accounts_changes(current, actuals)
        if not changes:
            return []
        for change in changes:
            line = lines[change.row.pk]
            line.actual = change.after_amount
            line.full_clean(validate_unique=False, validate_constraints=True)
        AllocationLine.objects.bulk_update([lines[c.row.pk] for c in changes], ["actual"])
        fields = {"accounts_entered_by": acting_user}
        if current.accounts_status == Statement.AccountsStatus.NONE:
            fields["accounts_status"] = Statement.AccountsStatus.DRAFT
        _bump(current, **fields)
        _record(
            changes, action=action, acting_user=acting_user, statement=current, filename=filename
        )
        _sync(statement, current)
        return changes


def approve_accounts(
    *,
    statement: Statement,
    acting_user: User,
    expected_version: int | None = None,
    actuals: dict[int, int | None] | None = None,
) -> AccountsFigures:
    """Approve (freeze) accounts whose figures in the database meet the accounts rules, by
    someone other than the one who last entered them (attestation and approval are two people).
    `actuals`: the figures the approver saw; refused if they differ from the saved ones."""
    with transaction.atomic():
        current = _lock(statement, expected_version, part="accounts")
        if current.accounts_entered_by_id is not None and current.accounts_entered_by_id == (
            acting_user.pk
        ):
            raise SameApprover
        if actuals is not None and accounts_changes(current, actuals):
            raise AccountsChangedOnApproval  # approval is of the saved figures, never new ones
        figures = accounts_figures(current)
        if figures.errors:
            raise AccountsRulesNotMet(figures.errors)
        before_status = current.accounts_status
        _bump(
            current,
            accounts_status=Statement.AccountsStatus.APPROVED,
            accounts_approved_at=timezone.now(),
            accounts_approved_by=acting_user,
        )
        _record(
            [
                _status_change(before_status, Statement.AccountsStatus.APPROVED, accounts=True),
                AuditChange(field=AuditChange.Field.UNSPENT, after_amount=figures.unspent),
            ],
            action=AuditEvent.Action.ACCOUNTS_APPROVE,
            acting_user=acting_user,
            statement=current,
        )
        _sync(statement, current)
        return figures


def reopen_accounts(*, statement: Statement, acting_user: User, reason: str) -> None:
    """Make approved accounts a draft again (administrators), with the reason recorded."""
    reason = clean_text(reason)
    if not reason:
        raise ReasonRequired
    with transaction.atomic():
        current = Statement.objects.select_for_update().select_related("grant").get(pk=statement.pk)
        if current.accounts_status != Statement.AccountsStatus.APPROVED:
            raise AccountsNotApproved
        _bump(
            current,
            accounts_status=Statement.AccountsStatus.DRAFT,
            accounts_approved_at=None,
            accounts_approved_by=None,
        )
        _record(
            [
                _status_change(
                    Statement.AccountsStatus.APPROVED, Statement.AccountsStatus.DRAFT, accounts=True
                )
            ],
            action=AuditEvent.Action.ACCOUNTS_REOPEN,
            acting_user=acting_user,
            statement=current,
            reason=reason,
        )
        _sync(statement, current)


# --- Importing a workbook -----------------------------------------------------------------------


class ImportInvalid(StatementError):
    """The file has cell-level problems; `errors` lists each (sheet, cell, what is wrong)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors))


def check_import(*, statement: Statement, parsed: "ParsedStatement") -> list[AuditChange]:
    """What importing `parsed` (grants.imports) into `statement` would change, or the reason it
    may not: another municipality or year, cell errors, a frozen part. Writes nothing.

    A draft takes the form's values (the "Regnskab" sheet must then be empty: accounts need a
    submitted statement). A submitted statement takes only the accounts' actual amounts, and
    only if the form's values in the file are the submitted ones."""
    grant = statement.grant
    if (
        parsed.municipality.pk != grant.municipality_id
        or parsed.grant_year.pk != grant.grant_year_id
    ):
        raise ImportMismatch(
            _(
                "Filen gælder %(file_municipality)s, %(file_year)s, men redegørelsen er "
                "%(municipality)s, %(year)s. Intet er indlæst."
            )
            % {
                "file_municipality": parsed.municipality.full_name,
                "file_year": parsed.grant_year,  # the programme and the year
                "municipality": grant.municipality.full_name,
                "year": grant.grant_year,
            }
        )
    if parsed.errors:
        raise ImportInvalid(list(parsed.errors))
    has_actuals = any(v is not None for v in (parsed.actuals or {}).values())
    if statement.status == Statement.Status.DRAFT:
        if has_actuals:
            raise StatementError(
                _("Arket 'Regnskab' kan først indlæses, når redegørelsen er indsendt.")
            )
        return statement_changes(statement, parsed.values)
    if parsed.actuals is None:  # a submitted form takes no import; only its accounts do
        raise StatementFrozen
    changed = statement_changes(statement, parsed.values)
    if changed:
        raise StatementError(
            _(
                "Redegørelsen er indsendt, så arket 'Redegørelse' må ikke ændres "
                "(%(fields)s). Kun arket 'Regnskab' kan indlæses."
            )
            % {"fields": ", ".join(change.label for change in changed[:5])}
        )
    if statement.accounts_approved:
        raise AccountsFrozen
    return accounts_changes(statement, parsed.actuals)


def import_statement(
    *,
    statement: Statement,
    parsed: "ParsedStatement",
    acting_user: User | None,
    filename: str,
    expected_version: int | None,
) -> list[AuditChange]:
    """Apply a parsed workbook as checked by check_import, recorded as an import of `filename`.
    An import never submits or approves. A value the database refuses (which the parser should
    have named already) is a clear ImportInvalid with nothing written, never a 500."""
    check_import(statement=statement, parsed=parsed)
    try:
        if statement.status == Statement.Status.DRAFT:
            return save_statement(
                statement=statement,
                values=parsed.values,
                acting_user=acting_user,
                expected_version=expected_version,
                action=AuditEvent.Action.IMPORT,
                filename=filename,
            )
        return save_accounts(
            statement=statement,
            actuals=parsed.actuals,
            acting_user=acting_user,
            expected_version=expected_version,
            action=AuditEvent.Action.IMPORT,
            filename=filename,
        )
    except ValidationError as error:  # the save's transaction is rolled back: nothing is written
        raise ImportInvalid(
            [
                _("Værdierne i filen kan ikke gemmes: %(problem)s") % {"problem": message}
                for message in error.messages
            ]
        ) from None
