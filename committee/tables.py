"""The committee's tables: initiatives and budget proposals (one column per budget year, the
listed proposals' totals in the footer), each also as rows for the xlsx and CSV downloads.

The page and the downloads go through `InitiativeTable` (`ProposalTable`) with the same filters
and sort order; the page shows one page of it, the downloads every row
(`initiative_export_rows`, `proposal_export_rows`).
"""

from collections.abc import Iterable, Iterator

import django_tables2 as tables
from django.core.paginator import EmptyPage
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.models import BudgetProposal
from committee.reports import ProposalTotals
from grants.exports import BOLD, TOTAL, Book
from grants.models import Initiative, SourceDocument
from grants.money import format_kroner

PER_PAGE = 25
MAX_PER_PAGE = 200


def known_amounts(initiative: Initiative) -> str:
    """ "2016: 335.000; 2017 og fremover: 670.000", or "ukendt" (unknown is not 0). Reads the
    prefetched `amounts`."""
    unknown = _("ukendt")
    known = [
        f"{a.year_label}: {format_kroner(a.amount, empty=unknown)}"
        for a in initiative.amounts.all()
    ]
    return "; ".join(known) or _("ukendt")


def source_label(source: SourceDocument | None) -> str:
    """Short enough for a table cell: "Lyngby-Taarbæk Kommune 2018"; the title is on the
    initiative's page and in the downloads."""
    if source is None:
        return "–"
    return " ".join(part for part in (source.publisher, source.published[:4]) if part) or source.key


class InitiativeTable(tables.Table):
    title = tables.Column(verbose_name=gettext_lazy("Indsats"), linkify=True)
    municipality = tables.Column(
        accessor="municipality__name",
        order_by=("municipality__name", "title"),
        verbose_name=gettext_lazy("Kommune"),
    )
    focus_area = tables.Column(
        accessor="focus_area__name",
        order_by=("focus_area__position", "focus_area__name", "title"),
        verbose_name=gettext_lazy("Fokusområde"),
        default="–",
    )
    programme = tables.Column(
        accessor="programme__name",
        order_by=("programme__first_year", "title"),
        verbose_name=gettext_lazy("Pulje"),
        default="–",
    )
    source = tables.Column(
        accessor="source__title",
        order_by=("source__key", "title"),
        verbose_name=gettext_lazy("Kilde"),
        default="–",
    )
    amounts = tables.Column(
        empty_values=(),
        orderable=False,
        verbose_name=gettext_lazy("Kendte beløb (kr.)"),
        attrs={"td": {"class": "amounts"}},
    )

    class Meta:
        model = Initiative
        fields = ("title", "municipality", "focus_area", "programme", "source")
        sequence = ("title", "municipality", "focus_area", "programme", "source", "amounts")
        order_by = ("municipality",)
        empty_text = gettext_lazy("Ingen indsatser matcher filtrene.")

    def render_source(self, record: Initiative) -> str:
        return source_label(record.source)

    def render_amounts(self, record: Initiative) -> SafeString:
        """One known amount a line; the same words as `known_amounts` (the downloads')."""
        amounts = record.amounts.all()
        if not amounts:
            return format_html('<span class="unknown">{}</span>', _("ukendt"))
        return format_html_join(
            "",
            '<span class="known-amount">{}: {}</span> ',
            ((a.year_label, format_kroner(a.amount, empty=_("ukendt"))) for a in amounts),
        )

    def value_amounts(self, record: Initiative) -> str:
        return known_amounts(record)


def initiative_export_rows(table: InitiativeTable, base_url: str = "") -> Iterator[list]:
    """Every row of the (filtered, sorted) table, unpaginated, as the downloads hold them: the
    page's columns as text (the source by its full title, the municipality also by its code),
    then each known amount as a number in its year's column, and a link. `base_url` makes the
    links absolute."""
    initiatives = [row.record for row in table.rows]
    years = sorted({a.year for i in initiatives for a in i.amounts.all()})
    yield [
        _("Indsats"),
        _("Kommune"),
        _("Kommunekode"),
        _("Fokusområde"),
        _("Pulje"),
        _("Kilde"),
        _("Kendte beløb (kr.)"),
        *[_("%(year)s (kr.)") % {"year": year} for year in years],
        _("Link"),
    ]
    for i in initiatives:
        by_year = {a.year: a.amount for a in i.amounts.all()}
        yield [
            i.title,
            i.municipality.name,
            i.municipality.code,
            i.focus_area.name if i.focus_area else "–",
            i.programme.name if i.programme else "–",
            i.source.title if i.source else "–",
            known_amounts(i),
            *[by_year.get(year) for year in years],  # None (unknown) stays an empty cell
            base_url + i.get_absolute_url(),
        ]


INITIATIVE_WIDTHS = (48, 18, 8, 30, 22, 26, 40)


def rows_workbook(
    rows: Iterable[list],
    sheet_title: str,
    *,
    widths: Iterable[float] = INITIATIVE_WIDTHS,
    total: list | None = None,
) -> bytes:
    """Rows as an xlsx sheet: text as text (never a formula), numbers as numbers (#,##0); the
    header bold, and a `total` row (if given) last, bold under a line."""
    book = Book()
    sheet = book.sheet(sheet_title[:31])
    styled = ((row, BOLD if r == 0 else {}) for r, row in enumerate(rows))
    for r, (row, style) in enumerate([*styled, *([(total, TOTAL)] if total else [])], start=1):
        for c, value in enumerate(row, start=1):
            if value is None or (isinstance(value, int) and not isinstance(value, bool)):
                sheet.amount(r, c, value, **style)  # None (unknown) stays an empty cell
            else:
                sheet.text(r, c, str(value), **style)
    sheet.worksheet.freeze_panes("A2")
    for column, width in enumerate(widths, start=1):
        sheet.width(column, width)
    return book.close()


def configure_table(request, table: tables.Table, per_page: int = PER_PAGE) -> tables.Table:
    """Sort the table as the request asks (`sort`) and show the requested page (`page`,
    `per_page` up to MAX_PER_PAGE); a page past the end shows the last page."""
    tables.RequestConfig(request, paginate=False).configure(table)
    try:
        per_page = min(max(int(request.GET.get("per_page", per_page)), 1), MAX_PER_PAGE)
    except ValueError:
        pass
    try:
        page = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page = 1
    try:
        table.paginate(per_page=per_page, page=page)
    except EmptyPage:
        table.paginate(per_page=per_page, page=table.paginator.num_pages)
    # Page numbers for the links, with "…" for long runs (1 2 … 7 8 9 … 14 15).
    table.page_links = list(
        table.paginator.get_elided_page_range(table.page.number, on_each_side=2, on_ends=1)
    )
    return table


# --- Budget proposals: one column per budget year -----------------------------------------------


class YearAmountColumn(tables.Column):
    """The proposal's amount in one year, from the prefetched `amounts`; the footer is the
    listed proposals' total that year (committee.reports.proposal_totals)."""

    def __init__(self, year: int, total: int | None = None, **kwargs) -> None:
        self.year = year
        kwargs.setdefault("verbose_name", str(year))
        kwargs.setdefault("attrs", {"td": {"class": "amount"}, "th": {"class": "amount"}})
        if total is not None:
            kwargs.setdefault("footer", format_kroner(total))
        super().__init__(empty_values=(), orderable=False, **kwargs)

    def amount(self, record: BudgetProposal) -> int | None:
        return next((a.amount for a in record.amounts.all() if a.year == self.year), None)

    def render(self, record: BudgetProposal) -> str | SafeString:
        amount = self.amount(record)
        if amount is None:
            return format_html('<span class="unknown">{}</span>', _("intet beløb"))
        return format_kroner(amount)

    def value(self, record: BudgetProposal) -> int | None:
        return self.amount(record)


class ProposalTable(tables.Table):
    """Expects proposals `with_status()` and their `amounts` prefetched (committee.views)."""

    code = tables.Column(
        verbose_name=gettext_lazy("Nr."),
        linkify=("committee:proposal", [tables.A("pk")]),
        footer=gettext_lazy("I alt"),
    )
    municipality = tables.Column(
        accessor="municipality__name",
        order_by=("municipality__name", "code"),
        verbose_name=gettext_lazy("Kommune"),
    )
    title = tables.Column(verbose_name=gettext_lazy("Titel"))
    type = tables.Column(verbose_name=gettext_lazy("Type"))
    activity_area = tables.Column(
        order_by=("committee", "activity_area", "code"),
        verbose_name=gettext_lazy("Udvalg og aktivitetsområde"),
    )
    status = tables.Column(
        accessor="status", order_by=("status", "code"), verbose_name=gettext_lazy("Status")
    )

    class Meta:
        model = BudgetProposal
        fields = ("code", "municipality", "title", "type", "activity_area")
        sequence = ("code", "municipality", "title", "type", "activity_area", "status")
        order_by = ("municipality",)
        empty_text = gettext_lazy("Ingen budgetforslag matcher filtrene.")

    def render_activity_area(self, record: BudgetProposal) -> str:
        return f"{record.committee}: {record.activity_area}"

    def render_status(self, record: BudgetProposal) -> str:
        return record.status_label

    def __init__(self, data, *, totals: ProposalTotals, **kwargs) -> None:
        """One column per year of `totals`, with the year's total in the footer."""
        self.totals = totals
        extra = [
            (f"year_{year}", YearAmountColumn(year, total))
            for year, total in zip(totals.years, totals.amounts, strict=True)
        ]
        super().__init__(data, extra_columns=extra, **kwargs)


PROPOSAL_WIDTHS = (12, 18, 8, 48, 16, 28, 28, 8, 20, 12)


def proposal_export_rows(table: ProposalTable, base_url: str = "") -> Iterator[list]:
    """Every row of the (filtered, sorted) table, unpaginated: the page's columns as text (the
    committee and the activity area apart, the municipality also by its code), the status, the
    price level, each year's amount as a number (none that year: an empty cell), and a link."""
    years = table.totals.years
    yield [
        _("Nr."),
        _("Kommune"),
        _("Kommunekode"),
        _("Titel"),
        _("Type"),
        _("Udvalg"),
        _("Aktivitetsområde"),
        _("Center"),
        _("Status"),
        _("Prisniveau"),
        *[_("%(year)s (kr.)") % {"year": year} for year in years],
        _("Link"),
    ]
    for row in table.rows:
        p = row.record
        by_year = {a.year: a.amount for a in p.amounts.all()}
        yield [
            p.code,
            p.municipality.name,
            p.municipality.code,
            p.title,
            p.get_type_display(),
            p.committee_name or p.committee,
            p.activity_area,
            p.centre,
            p.status_label,
            p.price_level,
            *[by_year.get(year) for year in years],
            base_url + reverse("committee:proposal", args=[p.pk]),
        ]


def proposal_total_row(totals: ProposalTotals) -> list:
    """The downloads' last row: the same totals as the page's footer, as numbers."""
    return [_("I alt"), *[""] * 9, *totals.amounts, ""]
