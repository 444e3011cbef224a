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

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from budgets.models import BudgetProposal, ProposalAmount
from grants.models import (
    AllocationLine,
    FormRow,
    Grant,
    GrantYear,
    Initiative,
    InitiativeAmount,
    Municipality,
    Programme,
    Statement,
)
from grants.money import format_share
from grants.rules import AccountsFigures, AccountsRow, compute_accounts, largest_remainder

SUBMITTED = Statement.Status.SUBMITTED


# --- Status per grant year ----------------------------------------------------------------------


@dataclass(frozen=True)
class YearStatus:
    """A grant year's statements as the reader may count them: submitted ones, the drafts the
    reader may see (their own municipality's; all for an administrator), and the rest, not
    submitted (another municipality's draft is its own and is counted here, not as a draft)."""

    grant_year: GrantYear
    submitted: int
    drafts: int
    not_submitted: int
    registered: int  # grants registered for the year

    @property
    def municipalities(self) -> int:
        return self.submitted + self.drafts + self.not_submitted


def status_counts(
    programme: Programme, *, drafts_of: int | None = None, all_drafts: bool = False
) -> list[YearStatus]:
    """Per grant year of `programme`: how many municipalities have submitted, have a draft the
    reader may see (the drafts of municipality `drafts_of`, or every draft with `all_drafts`),
    or have not submitted. Two queries whatever the number of years."""
    municipalities = Municipality.objects.count()
    draft = Q(grants__statement__status=Statement.Status.DRAFT)
    if not all_drafts:
        draft &= Q(grants__municipality_id=drafts_of)
    years = (
        GrantYear.objects.filter(programme=programme)
        .select_related("programme")
        .annotate(
            submitted=Count("grants", filter=Q(grants__statement__status=SUBMITTED)),
            drafts=Count("grants", filter=draft),
            registered=Count("grants"),
        )
        .order_by("year")
    )  # Meta.ordering does not apply to aggregating queries
    return [
        YearStatus(
            y,
            y.submitted,
            y.drafts,
            max(municipalities - y.submitted - y.drafts, 0),
            y.registered,
        )
        for y in years
    ]


# --- The one aggregation ------------------------------------------------------------------------


def allocation_sums(
    *,
    table: int,
    programme: Programme,
    year: int | None = None,
    municipality: Municipality | None = None,
    by_year: bool = False,
    by_municipality: bool = False,
) -> list[dict]:
    """Sum the amounts of SUBMITTED statements' lines of Tabel `table` in the database, grouped by
    form row code, and also by year (`year` key) and/or municipality (`municipality_id` key).
    Each dict has `code` and `total` (an unfilled line counts as 0 in a sum of submitted
    statements, which balance by rule). Only `programme`'s statements. One query."""
    lines = AllocationLine.objects.filter(
        statement__status=SUBMITTED,
        row__table=table,
        statement__grant__grant_year__programme=programme,
    )
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


def categories(
    table: int, programme: Programme, years: Iterable[int] | None = None
) -> list[Category]:
    """The rows of Tabel `table` of `programme`'s forms, by code, in the form's order, labelled
    as in the latest of `years` (all its grant years when None) that has the row. One query."""
    rows = FormRow.objects.filter(table=table, grant_year__programme=programme).select_related(
        "grant_year"
    )
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
    programme = grant_year.programme
    sums = {
        s["code"]: s["total"]
        for s in allocation_sums(table=table, programme=programme, year=grant_year.year)
    }
    statements = Statement.objects.filter(status=SUBMITTED, grant__grant_year=grant_year).count()
    cats = categories(table, programme, [grant_year.year])
    return Breakdown(table, _lines(cats, sums), statements)


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
    cats = categories(1, grant_year.programme, [grant_year.year])
    per: dict[int, dict[str, int]] = defaultdict(dict)
    sums = allocation_sums(
        table=1, programme=grant_year.programme, year=grant_year.year, by_municipality=True
    )
    for s in sums:
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
        Split(_("Alle indsendte"), None, _lines(cats, country)),
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


def municipality_split_history(municipality: Municipality, programme: Programme) -> SplitHistory:
    """Tabel 1 of each of the municipality's submitted statements, year by year."""
    per_year: dict[int, dict[str, int]] = defaultdict(dict)
    for s in allocation_sums(table=1, programme=programme, municipality=municipality, by_year=True):
        per_year[s["year"]][s["code"]] = s["total"]
    years = sorted(per_year)
    cats = categories(1, programme, years) if years else []
    return SplitHistory(cats, [YearSplit(y, _lines(cats, per_year[y])) for y in years])


# --- An initiative's money trail ----------------------------------------------------------------


@dataclass(frozen=True)
class ProposalEffect:
    proposal: BudgetProposal
    amount: int
    fte: Decimal | None


@dataclass(frozen=True)
class TrailYear:
    """One year of an initiative's money trail: what funded it, and what budget proposals
    proposed. `funding` None is unknown (never 0), unless `stage` says why there is no amount:
    the pool's money was by then part of the block grant. `funding_from` names the "og
    fremover" amount a later year's funding is taken from; `amount_row` is the InitiativeAmount
    the year's figure comes from (its source document and any note on it)."""

    year: int
    funding: int | None
    stage: str  # "pool", "own", "block_grant" or "" (unknown)
    funding_from: str = ""
    amount_row: InitiativeAmount | None = None
    proposals: list[ProposalEffect] = field(default_factory=list)

    @property
    def proposed(self) -> int | None:
        """The year's proposed changes in total; None when no proposal touches the year."""
        if not self.proposals:
            return None
        return sum(p.amount for p in self.proposals)

    @property
    def stage_label(self) -> str:
        """Where the year's money came from, in the reader's language."""
        labels = {
            "pool": _("Puljen"),
            "own": _("Kommunens eget budget"),
            "block_grant": _("Bloktilskud (ikke øremærket)"),
        }
        return labels.get(self.stage, _("ukendt"))


def _year(item) -> int:
    return item.year


def money_trail(initiative: Initiative) -> list[TrailYear]:
    """Year by year: what funded the initiative (its pool, the municipality's own budget, or, once
    the pool's money went into the block grant, the block grant) and what budget proposals
    proposed. Expects `programme`, `amounts` and `proposals__amounts` loaded, the proposals
    `with_status()` (the page shows each one's current status beside its amounts; see
    committee.views) so the page stays at a fixed number of queries. Figures are never invented:
    a year with no amount is unknown, except that an "og fremover" amount carries on while the
    pool runs, as the source says, and a year from which the pool is part of the block grant
    says so instead of "unknown"."""
    programme = initiative.programme
    rows = sorted(initiative.amounts.all(), key=_year)
    effects: dict[int, list[ProposalEffect]] = defaultdict(list)
    for proposal in initiative.proposals.all():
        for pa in proposal.amounts.all():
            effects[pa.year].append(ProposalEffect(proposal, pa.amount, pa.fte))
    years = {a.year for a in rows if a.amount is not None or a.funding} | set(effects)
    if not years:
        return []
    last = max(years)
    if programme is not None and any(a.onward or a.funding == "pool" for a in rows):
        # A pool's amount "og fremover" runs to the pool's end; show the year it moved on too.
        last = max(last, programme.block_grant_from or programme.last_year or last)
    trail = []
    for year in range(min(years), last + 1):
        known = initiative.amount_in(year)
        in_block_grant = programme is not None and programme.in_block_grant(year)
        if known is not None and (known.amount is not None or known.funding):
            carried = known.year_label if known.year != year else ""
            row = TrailYear(year, known.amount, known.funding, carried, known)
        elif in_block_grant:
            row = TrailYear(year, None, "block_grant")
        else:
            row = TrailYear(year, None, "")
        proposals = sorted(effects.get(year, []), key=lambda e: e.proposal.code)
        trail.append(
            TrailYear(row.year, row.funding, row.stage, row.funding_from, row.amount_row, proposals)
        )
    return trail


# --- Budget proposals: the listed ones' totals ---------------------------------------------------


@dataclass(frozen=True)
class ProposalTotals:
    """The listed proposals' amounts summed per year (whole kroner; negative is a reduction),
    in the order of `years`, and the price levels they are in."""

    years: list[int]
    amounts: list[int]
    price_levels: list[str]

    def by_year(self) -> dict[int, int]:
        return dict(zip(self.years, self.amounts, strict=True))

    @property
    def price_level(self) -> str:
        """ "2020-priser"; several joined ("2020-priser, 2021-priser"); "" when none is given."""
        return ", ".join(self.price_levels)


def proposal_totals(proposals: QuerySet[BudgetProposal], years: list[int]) -> ProposalTotals:
    """Every proposal `proposals` selects (all pages of a filtered list, not one page), summed
    per year in the database: the one total the proposals page, its xlsx and its CSV show. A
    year none of them has an amount in sums to 0. Two queries."""
    selected = proposals.prefetch_related(None).order_by().values("pk")
    sums = dict(
        ProposalAmount.objects.filter(proposal__in=selected, year__in=years)
        .values("year")
        .annotate(total=Coalesce(Sum("amount"), 0))
        .order_by()
        .values_list("year", "total")
    )
    levels = (
        BudgetProposal.objects.filter(pk__in=selected)
        .exclude(price_level="")
        .values_list("price_level", flat=True)
        .distinct()
        .order_by("price_level")
    )
    # PostgreSQL's SUM of a bigint is a numeric (a Decimal here): whole kroner stay int.
    return ProposalTotals(years, [int(sums.get(year, 0)) for year in years], list(levels))


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
