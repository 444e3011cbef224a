"""The committee's charts: adapters from committee.reports' figures to the SVG primitives of
grants.svg. Each chart is fed the same figures as the table beside it."""

from collections.abc import Sequence

from django.utils.translation import gettext as _

from committee.reports import Breakdown, Comparison, SplitHistory, TrailYear, YearStatus
from grants.money import format_kroner
from grants.svg import Bar, Column, StackedBar, bar_chart, column_chart, stacked_bar_chart


def breakdown_chart(breakdown: Breakdown, *, chart_id: str, title: str, table_caption: str):
    """A table's national (or a municipality's) totals, row by row, in kroner and share."""
    bars = [
        Bar(line.label, line.amount, _kroner_and_share(line.amount, line.share_text))
        for line in breakdown.lines
    ]
    description = _(
        "Vandrette søjler, én pr. række, med beløbet i kr. og andelen skrevet ved søjlen. "
        "Tallene står også i tabellen ”%(caption)s”."
    ) % {"caption": table_caption}
    return bar_chart(chart_id=chart_id, title=title, description=description, bars=bars)


def _kroner_and_share(amount: int, share: str) -> str:
    text = format_kroner(amount, unit=True)
    return f"{text} ({share})" if share else text


def status_chart(statuses: Sequence[YearStatus], *, chart_id: str, table_caption: str):
    series = [_("Indsendt"), _("Kladde"), _("Ikke indsendt")]
    bars = [
        StackedBar(
            str(s.grant_year.year),
            [s.submitted, s.drafts, s.not_submitted],
            [str(s.submitted), str(s.drafts), str(s.not_submitted)],
        )
        for s in statuses
    ]
    description = _(
        "Én vandret søjle pr. tilskudsår, delt i kommuner der har indsendt, har en kladde og "
        "ikke er påbegyndt. Antallene står også i tabellen ”%(caption)s”."
    ) % {"caption": table_caption}
    return stacked_bar_chart(
        chart_id=chart_id,
        title=_("Redegørelsernes status pr. tilskudsår"),
        description=description,
        series=series,
        bars=bars,
        full_width=True,
        label_width=60,
        styles=[2, 1, 9],  # submitted green (dots), draft orange (stripes), not started pale
    )


def comparison_chart(comparison: Comparison, *, chart_id: str, table_caption: str):
    """Each municipality's shares per focus area as a full-width bar, the country's first."""
    series = [c.label for c in comparison.categories]
    bars = [
        StackedBar(
            split.label,
            [line.share or 0 for line in split.lines],
            [line.share_text for line in split.lines],
        )
        for split in [comparison.country, *comparison.municipalities]
    ]
    description = _(
        "Én vandret søjle pr. kommune og én for alle indsendte, delt efter andelen af tabel 1 pr. "
        "række; hver række har sit eget mønster, forklaret under diagrammet. Andelene står også "
        "i tabellen ”%(caption)s”."
    ) % {"caption": table_caption}
    return stacked_bar_chart(
        chart_id=chart_id,
        title=_("Fordeling på områder i %(year)s, andel af tabel 1")
        % {"year": comparison.grant_year.year},
        description=description,
        series=series,
        bars=bars,
        full_width=True,
    )


def split_history_chart(history: SplitHistory, *, chart_id: str, title: str, table_caption: str):
    """A municipality's Tabel 1 year by year, bars to scale in kroner."""
    series = [c.label for c in history.categories]
    bars = [
        StackedBar(
            str(year.year),
            [line.amount for line in year.lines],
            [_kroner_and_share(line.amount, line.share_text) for line in year.lines],
            format_kroner(year.total, unit=True),
        )
        for year in history.years
    ]
    description = _(
        "Én vandret søjle pr. år med indsendt redegørelse, i målestok efter beløb og delt efter "
        "tabel 1's rækker; hver række har sit eget mønster, forklaret under diagrammet. Tallene "
        "står også i tabellen ”%(caption)s”."
    ) % {"caption": table_caption}
    return stacked_bar_chart(
        chart_id=chart_id,
        title=title,
        description=description,
        series=series,
        bars=bars,
        label_width=60,
    )


def money_trail_chart(trail: Sequence[TrailYear], *, chart_id: str, title: str, table_caption: str):
    """Funding rising above the line, proposed changes (reductions) hanging below it."""
    series = [_("Finansiering (kr.)"), _("Foreslået ændring i budgetforslag (kr.)")]
    columns = [
        Column(
            str(t.year),
            [t.funding, t.proposed],
            [_("bloktilskud") if t.stage == "block_grant" else "", ""],
        )
        for t in trail
    ]
    description = _(
        "Søjler pr. år: finansieringen (fra puljen eller kommunens eget budget) over nullinjen, "
        "budgetforslagenes ændringer under nullinjen (negativt er en besparelse). År uden kendt "
        "beløb er skrevet som ukendt, år hvor puljen var overgået til bloktilskuddet som "
        "bloktilskud. Tallene står også i tabellen ”%(caption)s”."
    ) % {"caption": table_caption}
    return column_chart(
        chart_id=chart_id,
        title=title,
        description=description,
        series=series,
        columns=columns,
        missing=[_("ukendt"), ""],
    )
