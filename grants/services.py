"""State changes of grants and statements. Each is one function: keyword-only, atomic, writing its
audit entries, raising a named exception instead of returning silently. Views, the admin, imports
and management commands all come through here, so the rules and the audit trail hold on every path.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.models import (
    AllocationLine,
    AuditEntry,
    FormRow,
    Grant,
    GrantYear,
    Initiative,
    InitiativeAmount,
    Municipality,
    Statement,
)
from grants.money import format_kroner
from grants.rules import Issue, StatementFigures, statement_figures


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


class ReasonRequired(StatementError):
    def __init__(self) -> None:
        super().__init__(_("Angiv en begrundelse for genåbningen."))


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


def row_label(row: FormRow) -> str:
    return f"{row.get_table_display()} – {row.label}"


def _amount_text(amount: int | None) -> str:
    return format_kroner(amount, empty="–")


def _lock(statement: Statement, expected_version: int | None) -> Statement:
    """Re-read the statement inside the transaction, locked where the database can lock, and
    check that it is still a draft at the version the user started from."""
    current = Statement.objects.select_for_update().select_related("grant").get(pk=statement.pk)
    if current.status != Statement.Status.DRAFT:
        raise StatementFrozen
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current)
    return current


def _bump(current: Statement, **fields) -> None:
    """Advance the version only if nobody else did meanwhile. select_for_update is a no-op on
    SQLite, so this conditional UPDATE is what makes the check hold there too."""
    updated = Statement.objects.filter(pk=current.pk, version=current.version).update(
        version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    if updated != 1:
        raise StaleVersion(Statement.objects.get(pk=current.pk))
    current.refresh_from_db()


def save_statement(
    *,
    statement: Statement,
    values: StatementValues,
    acting_user,
    expected_version: int | None,
    action: str = AuditEntry.Action.UPDATE,
    note: str = "",
) -> list[AuditEntry]:
    """Save a draft: whatever the balance (DESIGN.md rule 2), but never over a newer version
    (rule 4) and never into a submitted statement (rule 3). Returns the changes recorded."""
    with transaction.atomic():
        current = _lock(statement, expected_version)
        lines = {
            line.row_id: line
            for line in AllocationLine.objects.select_related("row").filter(statement=current)
        }
        entries: list[AuditEntry] = []

        def record(field_name: str, before: str, after: str) -> None:
            entries.append(
                AuditEntry(
                    statement=current,
                    grant=current.grant,
                    actor=acting_user,
                    action=action,
                    field=field_name,
                    before=before,
                    after=after,
                    note=note,
                )
            )

        changed_lines: list[AllocationLine] = []
        for row_id in sorted(set(values.amounts) | set(values.specifications)):
            line = lines.get(row_id)
            if line is None:
                raise StatementError(_("Rækken hører ikke til dette års skema."))
            dirty = False
            if row_id in values.amounts and values.amounts[row_id] != line.amount:
                record(
                    row_label(line.row),
                    _amount_text(line.amount),
                    _amount_text(values.amounts[row_id]),
                )
                line.amount = values.amounts[row_id]
                dirty = True
            new_spec = values.specifications.get(row_id)
            if new_spec is not None and new_spec.strip() != line.specification:
                record(
                    _("%(row)s: specifikation") % {"row": row_label(line.row)},
                    line.specification,
                    new_spec.strip(),
                )
                line.specification = new_spec.strip()
                dirty = True
            if dirty:
                line.full_clean(validate_unique=False, validate_constraints=True)
                changed_lines.append(line)

        if values.grant is not None and values.grant != current.grant.amount:
            record(_("Tilskud"), format_kroner(current.grant.amount), format_kroner(values.grant))
            grant = current.grant
            grant.amount = values.grant
            grant.full_clean(validate_unique=False)
            grant.save(update_fields=["amount"])

        statement_fields = {}
        if values.box1 is not None and values.box1 != current.box1:
            record(_("Boks 1"), current.box1, values.box1)
            statement_fields["box1"] = values.box1
        if values.box2_confirmed is not None and values.box2_confirmed != current.box2_confirmed:
            record(_("Boks 2"), _yes_no(current.box2_confirmed), _yes_no(values.box2_confirmed))
            statement_fields["box2_confirmed"] = values.box2_confirmed

        if not entries:
            return []
        AllocationLine.objects.bulk_update(changed_lines, ["amount", "specification"])
        _bump(current, **statement_fields)
        AuditEntry.objects.bulk_create(entries)
        _sync(statement, current)
        return entries


def _yes_no(value: bool) -> str:
    return _("Ja") if value else _("Nej")


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
    ):
        setattr(statement, name, getattr(current, name))


def submit_statement(
    *, statement: Statement, acting_user, expected_version: int | None = None
) -> StatementFigures:
    """Submit a draft whose figures in the database meet every rule; then it is frozen."""
    with transaction.atomic():
        current = _lock(statement, expected_version)
        figures = statement_figures(
            Statement.objects.select_related("grant")
            .prefetch_related("lines__row")
            .get(pk=current.pk)
        )
        if figures.errors:
            raise RulesNotMet(figures.errors)
        now = timezone.now()
        _bump(
            current, status=Statement.Status.SUBMITTED, submitted_at=now, submitted_by=acting_user
        )
        AuditEntry.objects.create(
            statement=current,
            grant=current.grant,
            actor=acting_user,
            action=AuditEntry.Action.SUBMIT,
            field=_("Status"),
            before=Statement.Status.DRAFT.label,
            after=Statement.Status.SUBMITTED.label,
        )
        _sync(statement, current)
        return figures


def reopen_statement(*, statement: Statement, acting_user, reason: str) -> None:
    """Make a submitted statement a draft again (administrators; DESIGN.md rule 3)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired
    with transaction.atomic():
        current = Statement.objects.select_for_update().get(pk=statement.pk)
        if current.status != Statement.Status.SUBMITTED:
            raise NotSubmitted
        _bump(current, status=Statement.Status.DRAFT, submitted_at=None, submitted_by=None)
        AuditEntry.objects.create(
            statement=current,
            grant=current.grant,
            actor=acting_user,
            action=AuditEntry.Action.REOPEN,
            field=_("Status"),
            before=Statement.Status.SUBMITTED.label,
            after=Statement.Status.DRAFT.label,
            note=reason,
        )
        _sync(statement, current)


def register_grant(
    *, municipality: Municipality, grant_year: GrantYear, amount: int, acting_user
) -> Statement:
    """Register a grant and create its draft statement with one empty line per form row."""
    with transaction.atomic():
        if Grant.objects.filter(municipality=municipality, grant_year=grant_year).exists():
            raise GrantExists
        grant = Grant(municipality=municipality, grant_year=grant_year, amount=amount)
        grant.full_clean()
        grant.save()
        statement = Statement.objects.create(grant=grant)
        AllocationLine.objects.bulk_create(
            AllocationLine(statement=statement, row=row) for row in grant_year.rows.all()
        )
        AuditEntry.objects.create(
            statement=statement,
            grant=grant,
            actor=acting_user,
            action=AuditEntry.Action.CREATE,
            field=_("Tilskud"),
            before="",
            after=format_kroner(amount),
        )
        return statement


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


def save_initiative(
    *, initiative, amounts: dict[int, tuple[int, bool] | None], acting_user
) -> list[AuditEntry]:
    """Create or update an initiative and its known amounts per year, recording every change.

    `amounts` maps a year to (amount, onward) or to None to forget that year's amount (unknown
    again). Years not named are left as they are.
    """
    with transaction.atomic():
        entries: list[AuditEntry] = []
        created = initiative.pk is None
        before = None if created else Initiative.objects.select_for_update().get(pk=initiative.pk)
        initiative.full_clean()
        initiative.save()

        def record(field_name: str, old: str, new: str) -> None:
            entries.append(
                AuditEntry(
                    initiative=initiative,
                    actor=acting_user,
                    action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
                    field=field_name,
                    before=old,
                    after=new,
                )
            )

        for name in ("title", "description", "effect", "focus_area", "programme"):
            old = "" if before is None else str(getattr(before, name) or "")
            new = str(getattr(initiative, name) or "")
            if old != new:
                record(str(Initiative._meta.get_field(name).verbose_name).capitalize(), old, new)
        existing = {a.year: a for a in InitiativeAmount.objects.filter(initiative=initiative)}
        for year, value in sorted(amounts.items()):
            current = existing.get(year)
            old_text = "" if current is None else _amount_label(current.amount, current.onward)
            if value is None:
                if current is not None:
                    current.delete()
                    record(_("Beløb %(year)s") % {"year": year}, old_text, _("ukendt"))
                continue
            amount, onward = value
            if current is None:
                current = InitiativeAmount(initiative=initiative, year=year)
            elif (current.amount, current.onward) == (amount, onward):
                continue
            current.amount, current.onward = amount, onward
            current.full_clean()
            current.save()
            record(
                _("Beløb %(year)s") % {"year": year},
                old_text or _("ukendt"),
                _amount_label(amount, onward),
            )
        AuditEntry.objects.bulk_create(entries)
        return entries


def _amount_label(amount: int, onward: bool) -> str:
    text = format_kroner(amount) + " kr."
    return text + " " + _("og fremover") if onward else text


def import_statement(
    *, statement: Statement, parsed, acting_user, filename: str, expected_version: int | None
) -> list[AuditEntry]:
    """Apply a parsed workbook (grants.imports) to a draft, recorded as an import of `filename`.
    An import never submits; a submitted statement refuses it (StatementFrozen)."""
    grant = statement.grant
    if (
        parsed.municipality.pk != grant.municipality_id
        or parsed.grant_year.pk != grant.grant_year_id
    ):
        raise ImportMismatch(
            _(
                "Filen gælder %(file_municipality)s %(file_year)s, men redegørelsen er "
                "%(municipality)s %(year)s. Intet er indlæst."
            )
            % {
                "file_municipality": parsed.municipality.full_name,
                "file_year": parsed.grant_year.year,
                "municipality": grant.municipality.full_name,
                "year": grant.grant_year.year,
            }
        )
    if parsed.errors:
        raise StatementError(" ".join(parsed.errors))
    values = StatementValues(
        amounts=dict(parsed.values.amounts),
        specifications=dict(parsed.values.specifications),
        box1=parsed.values.box1,
        box2_confirmed=parsed.values.box2_confirmed,
        grant=parsed.values.grant,
    )
    return save_statement(
        statement=statement,
        values=values,
        acting_user=acting_user,
        expected_version=expected_version,
        action=AuditEntry.Action.IMPORT,
        note=_("Fil: %(name)s") % {"name": filename},
    )
