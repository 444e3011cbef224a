"""The statement's rules, written once (DESIGN.md §Rules 2, 5, 6).

`compute_figures` is pure: the entry form calls it with the values being typed, the submit service
calls it with what is in the database, and every page, workbook and chart takes its totals from the
`StatementFigures` it returns. Nothing else adds up a table.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from grants.models import FormRow
from grants.money import format_kroner

SHARE_UNITS = 1000  # shares in tenths of a percent: 1000 is 100,0 %


def largest_remainder(amounts: Sequence[int], units: int = SHARE_UNITS) -> list[int] | None:
    """Split `units` over `amounts` in proportion, rounding by the largest remainder method so
    the shown shares add up to exactly `units` (100,0 %). None when there is nothing to split."""
    total = sum(amounts)
    if total <= 0:
        return None
    floors = [amount * units // total for amount in amounts]
    remainders = [amount * units % total for amount in amounts]
    left = units - sum(floors)
    # Largest remainder first; ties go to the earlier row (a stable, documented order).
    for index in sorted(range(len(amounts)), key=lambda i: (-remainders[i], i))[:left]:
        floors[index] += 1
    return floors


@dataclass(frozen=True)
class RowFigure:
    row: FormRow
    amount: int | None  # None: not filled in
    specification: str = ""

    @property
    def field_id(self) -> str:
        """The entry form's input for this row's amount (see grants.forms)."""
        return f"amount-{self.row.pk}"


@dataclass(frozen=True)
class Issue:
    """A rule failure (error) or a soft check (warning), with the field it concerns."""

    code: str
    message: str
    field_id: str = ""
    table: int | None = None


@dataclass(frozen=True)
class TableFigures:
    table: int
    rows: list[RowFigure]
    grant: int

    @property
    def total(self) -> int:
        return sum(figure.amount or 0 for figure in self.rows)

    @property
    def remaining(self) -> int:
        """Positive: left to allocate; negative: over-allocated."""
        return self.grant - self.total

    @property
    def balanced(self) -> bool:
        return self.remaining == 0

    def row(self, code: str) -> RowFigure | None:
        return next((figure for figure in self.rows if figure.row.code == code), None)


@dataclass(frozen=True)
class StatementFigures:
    grant: int
    table1: TableFigures
    table2: TableFigures
    box2_confirmed: bool
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def tables(self) -> tuple[TableFigures, TableFigures]:
        return (self.table1, self.table2)


def table_name(table: int) -> str:
    return _("Tabel %(number)s") % {"number": table}


def balance_message(table: int, remaining: int) -> str:
    """ "Tabel 2 mangler 12.000 kr." / "Tabel 1 overstiger tilskuddet med 3.000 kr." """
    if remaining > 0:
        return _("%(table)s mangler %(amount)s kr.") % {
            "table": table_name(table),
            "amount": format_kroner(remaining),
        }
    return _("%(table)s overstiger tilskuddet med %(amount)s kr.") % {
        "table": table_name(table),
        "amount": format_kroner(-remaining),
    }


def compute_figures(
    *,
    grant: int,
    rows: Iterable[RowFigure],
    box2_confirmed: bool,
    box1: str = "",
) -> StatementFigures:
    by_table: dict[int, list[RowFigure]] = {1: [], 2: []}
    for figure in sorted(rows, key=lambda f: (f.row.table, f.row.position)):
        by_table[figure.row.table].append(figure)
    table1 = TableFigures(1, by_table[1], grant)
    table2 = TableFigures(2, by_table[2], grant)
    errors: list[Issue] = []
    warnings: list[Issue] = []

    for table in (table1, table2):
        # Form note: "Midlerne skal fordeles på overskrifterne og summe til det beløb, som
        # kommunen modtager."
        if not table.balanced:
            first_field = table.rows[0].field_id if table.rows else ""
            errors.append(
                Issue(
                    "unbalanced",
                    balance_message(table.table, table.remaining),
                    first_field,
                    table.table,
                )
            )
        for figure in table.rows:
            used = (figure.amount or 0) > 0
            specified = bool(figure.specification.strip())
            # Form note: "Specificer hvis posten 'Andet' benyttes".
            if figure.row.is_other and used and not specified:
                errors.append(
                    Issue(
                        "other_unspecified",
                        _(
                            "%(table)s: Posten '%(label)s' er brugt (%(amount)s kr.) og skal "
                            "specificeres."
                        )
                        % {
                            "table": table_name(table.table),
                            "label": figure.row.label,
                            "amount": format_kroner(figure.amount),
                        },
                        f"spec-{figure.row.pk}",
                        table.table,
                    )
                )
            # Form note: "Posten 'anskaffelser' specificeres også, hvis relevant" (a soft check).
            if figure.row.is_purchases and used and not specified:
                warnings.append(
                    Issue(
                        "purchases_unspecified",
                        _(
                            "%(table)s: '%(label)s' har et beløb (%(amount)s kr.) uden "
                            "specifikation. Specificer posten, hvis det er relevant."
                        )
                        % {
                            "table": table_name(table.table),
                            "label": figure.row.label,
                            "amount": format_kroner(figure.amount),
                        },
                        f"spec-{figure.row.pk}",
                        table.table,
                    )
                )

    admin1 = next((f for f in table1.rows if f.row.is_administration), None)
    admin2 = next((f for f in table2.rows if f.row.is_administration), None)
    if admin1 and admin2 and (admin1.amount or 0) != (admin2.amount or 0):
        warnings.append(
            Issue(
                "administration_differs",
                _("Rækken '%(label)s' er %(amount1)s kr. i tabel 1, men %(amount2)s kr. i tabel 2.")
                % {
                    "label": admin1.row.label,
                    "amount1": format_kroner(admin1.amount or 0),
                    "amount2": format_kroner(admin2.amount or 0),
                },
                admin2.field_id,
                2,
            )
        )

    # DESIGN.md rule 2: "Boks 1 is written" before a statement can be submitted.
    if not box1.strip():
        errors.append(
            Issue(
                "box1_missing",
                _(
                    "Boks 1: Beskrivelsen af, hvordan udmøntningen understøtter "
                    "værdighedspolitikken, mangler."
                ),
                "box1",
            )
        )
    if not box2_confirmed:
        errors.append(
            Issue("not_confirmed", _("Boks 2: Bekræftelsen er ikke afkrydset."), "box2_confirmed")
        )
    return StatementFigures(grant, table1, table2, box2_confirmed, errors, warnings)


def statement_figures(statement) -> StatementFigures:
    """The figures of a saved statement. Expects `lines__row` to be prefetched for a fixed
    number of queries (see grants.permissions.statement_queryset)."""
    return compute_figures(
        grant=statement.grant.amount,
        rows=[
            RowFigure(line.row, line.amount, line.specification) for line in statement.lines.all()
        ],
        box2_confirmed=statement.box2_confirmed,
        box1=statement.box1,
    )


# --- The accounts (regnskab): what was actually spent against the statement -------------------


@dataclass(frozen=True)
class AccountsRow:
    row: FormRow
    budget: int | None
    actual: int | None

    @property
    def difference(self) -> int | None:
        """Actual minus budget; None while the actual is unknown."""
        if self.actual is None:
            return None
        return self.actual - (self.budget or 0)

    @property
    def field_id(self) -> str:
        return f"actual-{self.row.pk}"


@dataclass(frozen=True)
class AccountsTable:
    table: int
    rows: list[AccountsRow]

    @property
    def budget_total(self) -> int:
        return sum(r.budget or 0 for r in self.rows)

    @property
    def actual_total(self) -> int:
        return sum(r.actual or 0 for r in self.rows)

    @property
    def difference(self) -> int | None:
        """Actual minus budget over the table; None while no actual amount is known."""
        if all(r.actual is None for r in self.rows):
            return None
        return self.actual_total - self.budget_total

    def shares(self) -> list[tuple[AccountsRow, Decimal | None]]:
        """Each row's share of the table's actual total in per cent (one decimal), by the
        largest-remainder method so the shown shares add up to exactly 100,0."""
        units = largest_remainder([r.actual or 0 for r in self.rows])
        if units is None:
            return [(r, None) for r in self.rows]
        return [(r, Decimal(u) / 10) for r, u in zip(self.rows, units, strict=True)]


@dataclass(frozen=True)
class AccountsFigures:
    grant: int
    table1: AccountsTable
    table2: AccountsTable
    errors: list[Issue] = field(default_factory=list)

    @property
    def tables(self) -> tuple[AccountsTable, AccountsTable]:
        return (self.table1, self.table2)

    @property
    def actual_total(self) -> int:
        """The accounts' total: Tabel 1's (both tables must agree before approval)."""
        return self.table1.actual_total

    @property
    def entered(self) -> bool:
        """Whether any actual amount is written yet (an empty form shows no balance as met)."""
        return any(r.actual is not None for table in self.tables for r in table.rows)

    @property
    def unspent(self) -> int:
        """Mindreforbrug (positive: left of the grant) or merforbrug (negative: spent beyond
        it), as municipal accounts say. Never hidden."""
        return self.grant - self.actual_total

    @property
    def tables_gap(self) -> int:
        """How far apart the two tables' actual totals are (0 when they agree)."""
        return abs(self.table1.actual_total - self.table2.actual_total)


def compute_accounts(*, grant: int, rows: Iterable[AccountsRow]) -> AccountsFigures:
    """The accounts rules: every row has an actual amount (0 is an amount, blank is not), and
    both tables sum to the same actual total, which may differ from the grant."""
    by_table: dict[int, list[AccountsRow]] = {1: [], 2: []}
    for r in sorted(rows, key=lambda r: (r.row.table, r.row.position)):
        by_table[r.row.table].append(r)
    table1, table2 = AccountsTable(1, by_table[1]), AccountsTable(2, by_table[2])
    errors: list[Issue] = []
    for table in (table1, table2):
        for r in table.rows:
            if r.actual is None:
                errors.append(
                    Issue(
                        "actual_missing",
                        _("%(field)s mangler et beløb (skriv 0, hvis intet er brugt).")
                        % {"field": r.row.accounts_label},
                        r.field_id,
                        table.table,
                    )
                )
    if table1.actual_total != table2.actual_total:
        gap = table1.actual_total - table2.actual_total
        first = table2.rows[0].field_id if table2.rows else ""
        errors.append(
            Issue(
                "accounts_unbalanced",
                _(
                    "Regnskabet: Tabel 1 og Tabel 2 skal summe til det samme. Tabel 1 er "
                    "%(t1)s kr., Tabel 2 er %(t2)s kr. (forskel %(gap)s kr.)."
                )
                % {
                    "t1": format_kroner(table1.actual_total),
                    "t2": format_kroner(table2.actual_total),
                    "gap": format_kroner(abs(gap)),
                },
                first,
                2,
            )
        )
    return AccountsFigures(grant, table1, table2, errors)


def accounts_figures(statement) -> AccountsFigures:
    """The accounts of a saved statement (lines with rows prefetched, as for statement_figures)."""
    return compute_accounts(
        grant=statement.grant.amount,
        rows=[AccountsRow(line.row, line.amount, line.actual) for line in statement.lines.all()],
    )


# --- Initiatives reconciled with a statement's Tabel 1 -----------------------------------------


@dataclass(frozen=True)
class ReconciledRow:
    row: FormRow
    statement_amount: int | None  # what Tabel 1 says (None: not filled in)
    initiatives: int  # what the initiatives linked to the row add up to
    names: list[str]

    @property
    def difference(self) -> int:
        """Tabel 1 minus the initiatives (positive: Tabel 1 holds more than they account for)."""
        return (self.statement_amount or 0) - self.initiatives


@dataclass(frozen=True)
class Reconciliation:
    """A programme-year's initiatives against its grant and, where there is a form, Tabel 1:
    per row, and what no row claims. Amounts unknown for the year count as unknown, not 0."""

    grant: int
    rows: list[ReconciledRow]
    unlinked: list[tuple[str, int]]  # initiatives with a known amount but no Tabel 1 row
    unknown: list[str]  # initiatives of the programme whose amount for the year is unknown

    @property
    def unlinked_total(self) -> int:
        return sum(amount for _name, amount in self.unlinked)

    @property
    def total(self) -> int:
        return sum(r.initiatives for r in self.rows) + self.unlinked_total

    @property
    def difference(self) -> int:
        """The grant minus what the initiatives add up to (0: the initiatives account for it)."""
        return self.grant - self.total


def reconcile(
    *, grant: int, grant_year, table1: list[RowFigure], initiatives: Iterable
) -> Reconciliation:
    """Sum each initiative's amount in `grant_year` (Initiative.amount_in) onto the Tabel 1 row
    it belongs to: the row its `form_row_code` names, else the row of its focus area; otherwise
    it is not linked. `table1` is the statement's Tabel 1 (empty where no form is on record)."""
    by_code = {f.row.code: f for f in table1}
    by_area = {f.row.focus_area_id: f for f in table1 if f.row.focus_area_id}
    sums: dict[str, int] = {}
    names: dict[str, list[str]] = {}
    unlinked, unknown = [], []
    for initiative in initiatives:
        known = initiative.amount_in(grant_year.year)
        if known is None or known.amount is None:
            unknown.append(initiative.title)
            continue
        figure = by_code.get(initiative.form_row_code) or by_area.get(initiative.focus_area_id)
        if figure is None:
            unlinked.append((initiative.title, known.amount))
            continue
        sums[figure.row.code] = sums.get(figure.row.code, 0) + known.amount
        names.setdefault(figure.row.code, []).append(initiative.title)
    rows = [
        ReconciledRow(f.row, f.amount, sums.get(f.row.code, 0), names.get(f.row.code, []))
        for f in table1
    ]
    return Reconciliation(grant, rows, unlinked, unknown)
