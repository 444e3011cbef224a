"""State changes of grants and statements. Each is one function: keyword-only, atomic, writing its
audit entries, raising a named exception instead of returning silently. Views, the admin, imports
and management commands all come through here, so the rules and the audit trail hold on every path.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grants.cache import bump_on_commit
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
from grants.rules import (
    Issue,
    StatementFigures,
    accounts_figures,
    accounts_row_label,
    statement_figures,
)


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


def _audit_language():
    """The audit trail is written in the product's language (Danish), whatever language the
    editing user reads: everyone reads one history."""
    return translation.override(settings.LANGUAGE_CODE)


def row_label(row: FormRow) -> str:
    return f"{row.get_table_display()} – {row.label}"


def _amount_text(amount: int | None) -> str:
    return format_kroner(amount, empty="–")


def _lock(statement: Statement, expected_version: int | None, *, part: str = "budget") -> Statement:
    """Re-read the statement inside the transaction, locked where the database can lock, and
    check that the part being written is open (the budget: a draft statement; the accounts: a
    submitted statement whose accounts are not approved) at the version the user started from."""
    current = Statement.objects.select_for_update().select_related("grant").get(pk=statement.pk)
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


def _bump(current: Statement, **fields) -> None:
    """Advance the version only if nobody else did meanwhile. select_for_update is a no-op on
    SQLite, so this conditional UPDATE is what makes the check hold there too."""
    updated = Statement.objects.filter(pk=current.pk, version=current.version).update(
        version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    if updated != 1:
        raise StaleVersion(Statement.objects.get(pk=current.pk))
    current.refresh_from_db()
    bump_on_commit()  # readers' cached pages show the change


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

        with _audit_language():
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
                record(
                    _("Tilskud"), format_kroner(current.grant.amount), format_kroner(values.grant)
                )
                grant = current.grant
                grant.amount = values.grant
                grant.full_clean(validate_unique=False)
                grant.save(update_fields=["amount"])

            statement_fields = {}
            if values.box1 is not None and values.box1 != current.box1:
                record(_("Boks 1"), current.box1, values.box1)
                statement_fields["box1"] = values.box1
            if (
                values.box2_confirmed is not None
                and values.box2_confirmed != current.box2_confirmed
            ):
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
        "accounts_status",
        "accounts_approved_at",
        "accounts_approved_by_id",
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
        _record_status(
            current,
            acting_user,
            AuditEntry.Action.SUBMIT,
            field=lambda: _("Status"),
            before=lambda: Statement.Status.DRAFT.label,
            after=lambda: Statement.Status.SUBMITTED.label,
        )
        _sync(statement, current)
        return figures


def _record_status(
    current: Statement, acting_user, action: str, *, field, before, after, note=lambda: ""
) -> None:
    """The audit entry of a status change. The texts are callables, evaluated in the audit
    trail's language (Danish), whatever language the acting user reads."""
    with _audit_language():
        AuditEntry.objects.create(
            statement=current,
            grant=current.grant,
            actor=acting_user,
            action=action,
            field=field(),
            before=before(),
            after=after(),
            note=note(),
        )


def reopen_statement(*, statement: Statement, acting_user, reason: str) -> None:
    """Make a submitted statement a draft again (administrators; DESIGN.md rule 3)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired
    with transaction.atomic():
        current = Statement.objects.select_for_update().get(pk=statement.pk)
        if current.status != Statement.Status.SUBMITTED:
            raise NotSubmitted
        if current.accounts_status != Statement.AccountsStatus.NONE:
            raise AccountsStarted
        _bump(current, status=Statement.Status.DRAFT, submitted_at=None, submitted_by=None)
        _record_status(
            current,
            acting_user,
            AuditEntry.Action.REOPEN,
            field=lambda: _("Status"),
            before=lambda: Statement.Status.SUBMITTED.label,
            after=lambda: Statement.Status.DRAFT.label,
            note=lambda: reason,
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
        bump_on_commit()
        with _audit_language():
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


def _year_text(amount: int | None, onward: bool = False) -> str:
    if amount is None:
        return _("ukendt")
    text = format_kroner(amount) + " kr."
    return text + " " + _("og fremover") if onward else text


def save_initiative(
    *, initiative, amounts: dict[int, YearAmounts], acting_user
) -> list[AuditEntry]:
    """Create or update an initiative and its figures per year, recording every change.
    A year whose figures are all unknown has no row; years not named are left as they are."""
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

        with _audit_language():
            for name in ("title", "description", "effect", "focus_area", "programme"):
                old = "" if before is None else str(getattr(before, name) or "")
                new = str(getattr(initiative, name) or "")
                if old != new:
                    record(
                        str(Initiative._meta.get_field(name).verbose_name).capitalize(), old, new
                    )
            existing = {a.year: a for a in InitiativeAmount.objects.filter(initiative=initiative)}
            for year, wanted in sorted(amounts.items()):
                current = existing.get(year)
                old = (
                    YearAmounts(current.amount, current.actual, current.onward)
                    if current
                    else YearAmounts()
                )
                if old == wanted:
                    continue
                if (old.amount, old.onward) != (wanted.amount, wanted.onward):
                    record(
                        _("Budget %(year)s") % {"year": year},
                        _year_text(old.amount, old.onward),
                        _year_text(wanted.amount, wanted.onward),
                    )
                if old.actual != wanted.actual:
                    record(
                        _("Faktisk forbrug %(year)s") % {"year": year},
                        _year_text(old.actual),
                        _year_text(wanted.actual),
                    )
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
        AuditEntry.objects.bulk_create(entries)
        if entries:
            bump_on_commit()
        return entries


# --- The accounts (regnskab) -------------------------------------------------------------------


def save_accounts(
    *,
    statement: Statement,
    actuals: dict[int, int | None],
    acting_user,
    expected_version: int | None,
    action: str = AuditEntry.Action.UPDATE,
    note: str = "",
) -> list[AuditEntry]:
    """Save the accounts' actual amounts per form row (a draft, in any balance)."""
    with transaction.atomic():
        current = _lock(statement, expected_version, part="accounts")
        lines = {
            line.row_id: line
            for line in AllocationLine.objects.select_related("row").filter(statement=current)
        }
        with _audit_language():
            entries, changed = [], []
            for row_id, actual in sorted(actuals.items()):
                line = lines.get(row_id)
                if line is None:
                    raise StatementError(_("Rækken hører ikke til dette års skema."))
                if actual == line.actual:
                    continue
                entries.append(
                    AuditEntry(
                        statement=current,
                        grant=current.grant,
                        actor=acting_user,
                        action=action,
                        field=accounts_row_label(line.row),
                        before=_amount_text(line.actual),
                        after=_amount_text(actual),
                        note=note,
                    )
                )
                line.actual = actual
                line.full_clean(validate_unique=False, validate_constraints=True)
                changed.append(line)
        if not entries:
            return []
        AllocationLine.objects.bulk_update(changed, ["actual"])
        fields = {}
        if current.accounts_status == Statement.AccountsStatus.NONE:
            fields["accounts_status"] = Statement.AccountsStatus.DRAFT
        _bump(current, **fields)
        AuditEntry.objects.bulk_create(entries)
        _sync(statement, current)
        return entries


def approve_accounts(*, statement: Statement, acting_user, expected_version: int | None = None):
    """Approve (freeze) accounts whose figures in the database meet the accounts rules."""
    with transaction.atomic():
        current = _lock(statement, expected_version, part="accounts")
        figures = accounts_figures(
            Statement.objects.select_related("grant")
            .prefetch_related("lines__row")
            .get(pk=current.pk)
        )
        if figures.errors:
            raise AccountsRulesNotMet(figures.errors)
        before_status = current.accounts_status
        _bump(
            current,
            accounts_status=Statement.AccountsStatus.APPROVED,
            accounts_approved_at=timezone.now(),
            accounts_approved_by=acting_user,
        )
        _record_status(
            current,
            acting_user,
            AuditEntry.Action.SUBMIT,
            field=lambda: _("Regnskabets status"),
            before=lambda: Statement.AccountsStatus(before_status).label,
            after=lambda: Statement.AccountsStatus.APPROVED.label,
            note=lambda: (
                _("Uforbrugt: %(amount)s kr.") % {"amount": format_kroner(figures.unspent)}
                if figures.unspent >= 0
                else _("Overforbrug: %(amount)s kr.") % {"amount": format_kroner(-figures.unspent)}
            ),
        )
        _sync(statement, current)
        return figures


def reopen_accounts(*, statement: Statement, acting_user, reason: str) -> None:
    """Make approved accounts a draft again (administrators), with the reason recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired
    with transaction.atomic():
        current = Statement.objects.select_for_update().get(pk=statement.pk)
        if current.accounts_status != Statement.AccountsStatus.APPROVED:
            raise AccountsNotApproved
        _bump(
            current,
            accounts_status=Statement.AccountsStatus.DRAFT,
            accounts_approved_at=None,
            accounts_approved_by=None,
        )
        _record_status(
            current,
            acting_user,
            AuditEntry.Action.REOPEN,
            field=lambda: _("Regnskabets status"),
            before=lambda: Statement.AccountsStatus.APPROVED.label,
            after=lambda: Statement.AccountsStatus.DRAFT.label,
            note=lambda: reason,
        )
        _sync(statement, current)


class ImportInvalid(StatementError):
    """The file has cell-level problems; `errors` lists each (sheet, cell, what is wrong)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors))


def check_import(*, statement: Statement, parsed) -> list[tuple[str, str, str]]:
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
        raise ImportInvalid(list(parsed.errors))
    has_actuals = any(v is not None for v in (parsed.actuals or {}).values())
    if statement.status == Statement.Status.DRAFT:
        if has_actuals:
            raise StatementError(
                _("Arket 'Regnskab' kan først indlæses, når redegørelsen er indsendt.")
            )
        return describe_changes(statement, parsed.values)
    if parsed.actuals is None:  # a submitted form takes no import; only its accounts do
        raise StatementFrozen
    changed = describe_changes(statement, parsed.values)
    if changed:
        raise StatementError(
            _(
                "Redegørelsen er indsendt, så arket 'Redegørelse' må ikke ændres "
                "(%(fields)s). Kun arket 'Regnskab' kan indlæses."
            )
            % {"fields": ", ".join(field for field, _b, _a in changed[:5])}
        )
    if statement.accounts_approved:
        raise AccountsFrozen
    return describe_accounts_changes(statement, parsed.actuals)


def import_statement(
    *, statement: Statement, parsed, acting_user, filename: str, expected_version: int | None
) -> list[AuditEntry]:
    """Apply a parsed workbook as checked by check_import, recorded as an import of `filename`.
    An import never submits or approves."""
    check_import(statement=statement, parsed=parsed)
    with _audit_language():
        note = _("Fil: %(name)s") % {"name": filename}
    if statement.status == Statement.Status.DRAFT:
        return save_statement(
            statement=statement,
            values=parsed.values,
            acting_user=acting_user,
            expected_version=expected_version,
            action=AuditEntry.Action.IMPORT,
            note=note,
        )
    return save_accounts(
        statement=statement,
        actuals=parsed.actuals,
        acting_user=acting_user,
        expected_version=expected_version,
        action=AuditEntry.Action.IMPORT,
        note=note,
    )


def describe_changes(statement, values: StatementValues) -> list[tuple[str, str, str]]:
    """What applying `values` would change: (field, before, after) in the form's order."""
    changes: list[tuple[str, str, str]] = []
    if values.grant is not None and values.grant != statement.grant.amount:
        changes.append(
            (_("Tilskud"), format_kroner(statement.grant.amount), format_kroner(values.grant))
        )
    for line in statement.lines.all():
        if line.row_id in values.amounts and values.amounts[line.row_id] != line.amount:
            changes.append(
                (
                    row_label(line.row),
                    format_kroner(line.amount, empty="–"),
                    format_kroner(values.amounts[line.row_id], empty="–"),
                )
            )
        spec = values.specifications.get(line.row_id)
        if spec is not None and spec != line.specification:
            changes.append(
                (
                    _("%(row)s: specifikation") % {"row": row_label(line.row)},
                    line.specification,
                    spec,
                )
            )
    if values.box1 is not None and values.box1 != statement.box1:
        changes.append((_("Boks 1"), statement.box1, values.box1))
    if values.box2_confirmed is not None and values.box2_confirmed != statement.box2_confirmed:
        yes, no = _("Ja"), _("Nej")
        changes.append(
            (
                _("Boks 2"),
                yes if statement.box2_confirmed else no,
                yes if values.box2_confirmed else no,
            )
        )
    return changes


def describe_accounts_changes(
    statement, actuals: dict[int, int | None] | None
) -> list[tuple[str, str, str]]:
    """What applying the "Regnskab" sheet's actual amounts would change."""
    changes: list[tuple[str, str, str]] = []
    if actuals is None:
        return changes
    for line in statement.lines.all():
        if line.row_id in actuals and actuals[line.row_id] != line.actual:
            changes.append(
                (
                    accounts_row_label(line.row),
                    format_kroner(line.actual, empty="–"),
                    format_kroner(actuals[line.row_id], empty="–"),
                )
            )
    return changes
