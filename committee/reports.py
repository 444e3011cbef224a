"""What the committee reads across statements: status counts, national totals, a municipality's
split over the years, the comparison of a year, and an initiative's money trail.

Every figure across statements comes from one aggregation, `allocation_sums`: the AllocationLine
amounts of SUBMITTED statements, summed in the database and grouped by form row code (and by year
or municipality where asked). The national totals, the per-municipality splits, their tables and
their charts are all built from it, so a chart never disagrees with the table beside it. A single
statement's own totals stay with grants.rules.statement_figures.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from budgets.models import BudgetProposal
from grants.models import (
    AllocationLine,
    FormRow,
    Grant,
    GrantYear,
    Initiative,
    Municipality,
    Statement,
)
from grants.money import format_share
from grants.rules import AccountsFigures, AccountsRow, compute_accounts, largest_remainder

SUBMITTED = Statement.Status.SUBMITTED


# --- Status per grant year ----------------------------------------------------------------------


@dataclass(frozen=True)
class YearStatus:
    grant_year: GrantYear
    submitted: int
    drafts: int
    not_started: int

    @property
    def municipalities(self) -> int:
        return self.submitted + self.drafts + self.not_started


def status_counts() -> list[YearStatus]:
    """Per grant year: how many municipalities have submitted, drafted or not started (no
    statement, or no grant registered yet). Two queries whatever the number of years."""
    municipalities = Municipality.objects.count()
    years = (
        GrantYear.objects.select_related("programme")
        .annotate(
            submitted=Count("grants", filter=Q(grants__statement__status=SUBMITTED)),
            drafts=Count("grants", filter=Q(grants__statement__status=Statement.Status.DRAFT)),
        )
        .order_by("year")
    )  # Meta.ordering does not apply to aggregating queries
    return [
        YearStatus(y, y.submitted, y.drafts, max(municipalities - y.submitted - y.drafts, 0))
        for y in years
    ]


# --- The one aggregation ------------------------------------------------------------------------


def allocation_sums(
    *,
    table: int,
    year: int | None = None,
    municipality: Municipality | None = None,
    by_year: bool = False,
    by_municipality: bool = False,
) -> list[dict]:
    """Sum the amounts of SUBMITTED statements' lines of Tabel `table` in the database, grouped by
    form row code, and also by year (`year` key) and/or municipality (`municipality_id` key).
    Each dict has `code` and `total` (an unfilled line counts as 0 in a sum of submitted
    statements, which balance by rule). One query."""
    lines = AllocationLine.objects.filter(statement__status=SUBMITTED, row__table=table)
    if year is not None:
        lines = lines.filter(statement__grant__grant_year__year=year)
    if municipality is not None:
        lines = lines.filter(statement__grant__municipality=municipality)
    group = {"code": F("row__code")}
    if by_year:
        group["year"] = F("statement__grant__grant_year__year")
    if by_municipality:
        group["municipality_id"] = F("statement__grant__municipality_id")
    sums = lines.values(**group).annotate(total=Coalesce(Sum("amount"), 0)).order_by()
    # PostgreSQL's SUM of a bigint is a numeric (a Decimal here): whole kroner stay int.
    return [{**s, "total": int(s["total"])} for s in sums]


# --- Shares that add up to 100,0 % as shown -----------------------------------------------------


# --- Rows (columns) of a table across years -----------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A form row as a category across years: its stable code and its label (the latest year's
    wording, since the labels changed over the years)."""

    code: str
    label: str


def categories(table: int, years: Iterable[int] | None = None) -> list[Category]:
    """The rows of Tabel `table`, by code, in the form's order, labelled as in the latest of
    `years` (all grant years when None) that has the row. One query."""
    rows = FormRow.objects.filter(table=table).select_related("grant_year")
    if years is not None:
        rows = rows.filter(grant_year__year__in=list(years))
    latest: dict[str, FormRow] = {}
    for row in rows.order_by("grant_year__year", "position"):
        latest[row.code] = row
    return [
        Category(code, row.label)
        for code, row in sorted(
            latest.items(), key=lambda item: (item[1].position, -item[1].grant_year.year)
        )
    ]


# --- National totals of a year ------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    amount: int
    share: int | None = None  # tenths of a percent of the breakdown's total

    @property
    def share_text(self) -> str:
        return format_share(self.share)


@dataclass(frozen=True)
class Breakdown:
    """A table's rows summed over submitted statements (the whole country, or one municipality)."""

    table: int
    lines: list[Line]
    statements: int

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def _lines(cats: list[Category], totals: dict[str, int]) -> list[Line]:
    amounts = [totals.get(c.code, 0) for c in cats]
    shares = largest_remainder(amounts) or [None] * len(cats)
    return [
        Line(c.code, c.label, amount, share)
        for c, amount, share in zip(cats, amounts, shares, strict=True)
    ]


def national_breakdown(grant_year: GrantYear, table: int) -> Breakdown:
    """Tabel `table` of `grant_year` summed over all submitted statements, row by row, labelled
    as that year's form labels them."""
    sums = {s["code"]: s["total"] for s in allocation_sums(table=table, year=grant_year.year)}
    statements = Statement.objects.filter(status=SUBMITTED, grant__grant_year=grant_year).count()
    return Breakdown(table, _lines(categories(table, [grant_year.year]), sums), statements)


# --- A year's comparison of municipalities ------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """One municipality's (or the country's) Tabel 1 of a year, with shares."""

    label: str
    municipality: Municipality | None
    lines: list[Line]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def share_of(self, code: str) -> int | None:
        return next((line.share for line in self.lines if line.code == code), None)

    @property
    def shares_total_text(self) -> str:
        """The shown shares added up: "100,0 %" (by construction), or "" with nothing allocated."""
        shares = [line.share for line in self.lines if line.share is not None]
        return format_share(sum(shares)) if shares else ""


@dataclass(frozen=True)
class Comparison:
    grant_year: GrantYear
    categories: list[Category]
    country: Split
    municipalities: list[Split]
    sort: str = "name"


COMPARE_SORTS = ("name", "total")


def year_comparison(grant_year: GrantYear, *, sort: str = "name") -> Comparison:
    """Each municipality's share per focus area (the rows of Tabel 1) in its submitted statement
    of `grant_year`, and the whole country's, from the same sums. `sort` is a column key (`name`,
    `total` or a row code), descending with a leading "-"; unknown keys sort by name."""
    cats = categories(1, [grant_year.year])
    per: dict[int, dict[str, int]] = defaultdict(dict)
    for s in allocation_sums(table=1, year=grant_year.year, by_municipality=True):
        per[s["municipality_id"]][s["code"]] = s["total"]
    country: dict[str, int] = defaultdict(int)
    for totals in per.values():
        for code, amount in totals.items():
            country[code] += amount
    municipalities = Municipality.objects.in_bulk(list(per))
    splits = [Split(m.name, m, _lines(cats, per[m.pk])) for m in municipalities.values()]

    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    if key not in {c.code for c in cats} | set(COMPARE_SORTS):
        key, descending = "name", False

    def sort_value(split: Split):
        if key == "name":
            return split.label
        if key == "total":
            return split.total
        share = split.share_of(key)
        return -1 if share is None else share

    # Python's sort is stable (also reversed): equal values stay in name order.
    splits.sort(key=lambda s: s.label)
    splits.sort(key=sort_value, reverse=descending)
    return Comparison(
        grant_year,
        cats,
        Split(_("Hele landet"), None, _lines(cats, country)),
        splits,
        ("-" if descending else "") + key,
    )


# --- A municipality's split over the years ------------------------------------------------------


@dataclass(frozen=True)
class YearSplit:
    year: int
    lines: list[Line]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class SplitHistory:
    categories: list[Category]
    years: list[YearSplit]

    def rows(self) -> list[tuple[Category, list[Line]]]:
        """Category by category, its line in each year (for a table with years as columns)."""
        return [(c, [y.lines[i] for y in self.years]) for i, c in enumerate(self.categories)]


def municipality_split_history(municipality: Municipality) -> SplitHistory:
    """Tabel 1 of each of the municipality's submitted statements, year by year."""
    per_year: dict[int, dict[str, int]] = defaultdict(dict)
    for s in allocation_sums(table=1, municipality=municipality, by_year=True):
        per_year[s["year"]][s["code"]] = s["total"]
    years = sorted(per_year)
    cats = categories(1, years) if years else []
    return SplitHistory(cats, [YearSplit(y, _lines(cats, per_year[y])) for y in years])


# --- An initiative's money trail ----------------------------------------------------------------


@dataclass(frozen=True)
class ProposalEffect:
    proposal: BudgetProposal
    amount: int
    fte: Decimal | None


@dataclass(frozen=True)
class TrailYear:
    """One year of an initiative's money trail. `funding` None is unknown (never 0);
    `funding_from` names the "og fremover" amount a later year's funding is taken from."""

    year: int
    funding: int | None
    funding_from: str = ""
    proposals: list[ProposalEffect] = field(default_factory=list)

    @property
    def proposed(self) -> int | None:
        """The year's proposed changes in total; None when no proposal touches the year."""
        if not self.proposals:
            return None
        return sum(p.amount for p in self.proposals)


def _year(item) -> int:
    return item.year


def money_trail(initiative: Initiative) -> list[TrailYear]:
    """Year by year, from the first to the last year anything is known: what the grant funded and
    what budget proposals proposed. Expects `amounts` and `proposals__amounts` prefetched (see
    committee.views) so the page stays at a fixed number of queries. Figures are never invented:
    a year with no amount is unknown, except that an "og fremover" amount carries on, as the
    source says."""
    # A row may hold only what was spent (`actual`); its grant amount is then unknown.
    amounts = sorted((a for a in initiative.amounts.all() if a.amount is not None), key=_year)
    effects: dict[int, list[ProposalEffect]] = defaultdict(list)
    for proposal in initiative.proposals.all():
        for pa in proposal.amounts.all():
            effects[pa.year].append(ProposalEffect(proposal, pa.amount, pa.fte))
    years = {a.year for a in amounts} | set(effects)
    if not years:
        return []
    trail = []
    for year in range(min(years), max(years) + 1):
        own = next((a for a in amounts if a.year == year), None)
        onward = next((a for a in reversed(amounts) if a.onward and a.year < year), None)
        if own is not None:
            funding, funding_from = own.amount, ""
        elif onward is not None:
            funding, funding_from = onward.amount, onward.year_label
        else:
            funding, funding_from = None, ""
        proposals = sorted(effects.get(year, []), key=lambda e: e.proposal.code)
        trail.append(TrailYear(year, funding, funding_from, proposals))
    return trail


# --- Budget against actual, nationally -----------------------------------------------------------


@dataclass(frozen=True)
class NationalAccounts:
    statements: int  # municipalities whose accounts for the year are approved
    figures: AccountsFigures | None  # None when there are none


def national_accounts(grant_year: GrantYear) -> NationalAccounts:
    """Budget against actual per form row of a year, summed over the statements whose accounts
    are approved, as AccountsFigures (grants.rules): the same table, differences, shares and
    unspent total as one statement's accounts. Three queries."""
    approved = Q(statement__accounts_status=Statement.AccountsStatus.APPROVED)
    sums = {
        s["row_id"]: s
        for s in AllocationLine.objects.filter(approved, statement__grant__grant_year=grant_year)
        .values("row_id")
        .annotate(budget=Coalesce(Sum("amount"), 0), actual=Coalesce(Sum("actual"), 0))
        .order_by()
    }
    grants = Grant.objects.filter(
        grant_year=grant_year, statement__accounts_status=Statement.AccountsStatus.APPROVED
    ).aggregate(total=Coalesce(Sum("amount"), 0), count=Count("pk"))
    if not grants["count"]:
        return NationalAccounts(0, None)
    rows = [
        AccountsRow(row, int(sums[row.pk]["budget"]), int(sums[row.pk]["actual"]))
        if row.pk in sums
        else AccountsRow(row, 0, 0)
        for row in grant_year.rows.all()
    ]
    return NationalAccounts(
        grants["count"], compute_accounts(grant=int(grants["total"]), rows=rows)
    )
