"""SVG chart primitives, drawn on the server: no JavaScript, no CDN, printable. No model imports:
the adapters that turn reports into bars live beside the views that use them (grants/charts.py for
the statement page, committee/charts.py for the committee's pages).

Each chart is `role="img"` with a <title> and a <desc> (aria-labelledby) that name the table beside
it, where the same numbers stand as text: the caller passes the figures it also puts in that table
(the reports compute both). Colour is never the only carrier of meaning: every series has its
own fill pattern, the legend repeats it with the series' name, bars carry their labels and values
as text. Everything is built with format_html, which escapes every label.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from grants.money import compact_kroner, format_kroner

WIDTH = 720
FONT = 14
SMALL = 13
CHAR = 8.0  # a generous estimate of a character's width at FONT, for layout only
INK = "#1b1f24"
MUTED = "#4a525c"
GRID = "#8a939c"

# Colours with at least 3:1 contrast against white (WCAG 2.1 1.4.11), each series with its own
# pattern so that the chart reads in greyscale and for colour-blind readers.
PALETTE = (
    "#0b5cad",
    "#a34f00",
    "#1d6b35",
    "#7b3294",
    "#a50f15",
    "#4a525c",
    "#00727a",
    "#7a5f00",
    "#5b3a1a",
    "#eef1f4",  # "nothing yet" (e.g. not started): pale, outlined, never the only cue
)
PATTERNS = (
    "solid",
    "diagonal",
    "dots",
    "cross",
    "horizontal",
    "vertical",
    "back-diagonal",
    "grid",
    "dense-dots",
    "solid",
)


def _join(parts) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _n(value: float) -> str:
    """A coordinate, short and locale-free."""
    return f"{value:.1f}".removesuffix(".0")


def _text_width(text: str, size: int = FONT) -> float:
    return len(text) * CHAR * size / FONT


# The white marks on each series' colour: line paths (with their width) or dots (x, y, radius).
MARK_LINES = {
    "diagonal": ("M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4", 1.6),
    "back-diagonal": ("M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4", 1.6),
    "cross": ("M0,0 l8,8 M8,0 l-8,8", 1.2),
    "horizontal": ("M0,4 h8", 1.8),
    "vertical": ("M4,0 v8", 1.8),
    "grid": ("M0,4 h8 M4,0 v8", 1.1),
}
MARK_DOTS = {"dots": ((4, 4, 1.7),), "dense-dots": ((2, 2, 1.2), (6, 6, 1.2))}


def _pattern(chart_id: str, index: int) -> SafeString:
    """A <pattern> for series `index`: its colour with white marks of its own shape."""
    kind = PATTERNS[index % len(PATTERNS)]
    if kind in MARK_LINES:
        path, width = MARK_LINES[kind]
        marks = format_html('<path d="{}" stroke="#fff" stroke-width="{}"/>', path, width)
    else:
        marks = format_html_join(
            "", '<circle cx="{}" cy="{}" r="{}" fill="#fff"/>', MARK_DOTS.get(kind, ())
        )
    return format_html(
        '<pattern id="{}-p{}" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<rect width="8" height="8" fill="{}"/>{}</pattern>',
        chart_id,
        index,
        PALETTE[index % len(PALETTE)],
        marks,
    )


def _fill(chart_id: str, index: int) -> str:
    return f"url(#{chart_id}-p{index})"


def _svg(chart_id: str, title: str, description: str, height: float, body) -> SafeString:
    """The chart in a frame of its own: on a small screen the chart keeps a readable size and
    the frame scrolls sideways (static/css/charts.css), so the frame is a named region that a
    keyboard can reach and scroll."""
    return format_html(
        '<div class="chart-scroll" role="region" aria-labelledby="{id}-title" tabindex="0">'
        '<svg class="chart" id="{id}" xmlns="http://www.w3.org/2000/svg" role="img" '
        'aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="{f}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>'
        "</div>",
        id=chart_id,
        w=WIDTH,
        h=_n(height),
        f=FONT,
        title=title,
        desc=description,
        body=body,
    )


def _label(centre: float, baseline: float, text: str, size: int = SMALL) -> SafeString:
    """A value written on a bar, readable over any fill or pattern: dark letters on a white box
    of their own (sized from the text's estimated width), never on the pattern itself."""
    width = _text_width(text, size) + 6
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="#fff"/>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="{}" fill="{}">{}</text>',
        _n(centre - width / 2),
        _n(baseline - size + 1),
        _n(width),
        _n(size + 4),
        _n(centre),
        _n(baseline),
        size,
        INK,
        text,
    )


def _legend(
    chart_id: str, series: Sequence[str], top: float, styles: Sequence[int]
) -> tuple[SafeString, float]:
    """One entry per line, below the chart: swatch (the series' pattern) and its name."""
    parts = []
    y = top
    for style, name in zip(styles, series, strict=True):
        parts.append(
            format_html(
                '<g class="legend-item"><rect x="0" y="{}" width="18" height="14" fill="{}" '
                'stroke="{}" stroke-width="1"/><text x="26" y="{}">{}</text></g>',
                _n(y),
                _fill(chart_id, style),
                INK,
                _n(y + 12),
                name,
            )
        )
        y += 22
    return _join(parts), y


# --- Horizontal bars, one series ----------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str  # the value as shown, e.g. "8.879.000 kr. (78,7 %)"


def bar_chart(*, chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> SafeString:
    """One bar per row: the row's label above its bar, the value written after the bar."""
    value_room = max((_text_width(b.text, SMALL) for b in bars), default=0) + 16
    plot = WIDTH - value_room
    top_value = max((b.value for b in bars), default=0) or 1
    parts = [_pattern(chart_id, 0)]
    y = 4.0
    for bar in bars:
        length = plot * max(bar.value, 0) / top_value
        parts.append(
            format_html(
                '<text x="0" y="{}" fill="{}">{}</text>'
                '<rect x="0" y="{}" width="{}" height="16" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
                _n(y + FONT),
                INK,
                bar.label,
                _n(y + 20),
                _n(max(length, 1)),
                _fill(chart_id, 0),
                bar.label,
                bar.text,
                _n(length + 6),
                _n(y + 33),
                SMALL,
                INK,
                bar.text,
            )
        )
        y += 46
    axis = format_html(
        '<line x1="0.5" y1="20" x2="0.5" y2="{}" stroke="{}" stroke-width="1"/>', _n(y - 8), INK
    )
    return _svg(chart_id, title, description, y, _join([*parts, axis]))


# --- Stacked horizontal bars, several series ----------------------------------------------------


@dataclass(frozen=True)
class StackedBar:
    label: str
    values: Sequence[int]  # one per series, in the legend's order
    texts: Sequence[str]  # each value as shown (in the segment's tooltip and, if room, on it)
    total_text: str = ""  # written after the bar


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[str],
    bars: Sequence[StackedBar],
    full_width: bool = False,
    label_width: float = 150,
    styles: Sequence[int] = (),
) -> SafeString:
    """One bar per row, split into the series' segments in the legend's order. `full_width`:
    every bar spans the width (shares); otherwise bars are to scale (kroner). `styles` picks
    each series' colour and pattern (an index into PALETTE and PATTERNS; by default 0, 1, …)."""
    styles = list(styles) or list(range(len(series)))
    total_room = max((_text_width(b.total_text, SMALL) for b in bars), default=0)
    total_room = total_room + 12 if total_room else 4
    plot_x = label_width
    plot = WIDTH - plot_x - total_room
    top_total = max((sum(max(v, 0) for v in b.values) for b in bars), default=0) or 1
    parts = [_pattern(chart_id, style) for style in styles]
    y = 4.0
    height = 26
    for bar in bars:
        bar_total = sum(max(v, 0) for v in bar.values)
        scale = plot / (bar_total if full_width else top_total) if bar_total else 0
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                _n(plot_x - 8),
                _n(y + height / 2 + 5),
                INK,
                bar.label,
            )
        )
        x = plot_x
        for index, (value, text) in enumerate(zip(bar.values, bar.texts, strict=True)):
            width = max(value, 0) * scale
            if width <= 0:
                continue
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff" '
                    'stroke-width="1"><title>{}, {}: {}</title></rect>',
                    _n(x),
                    _n(y),
                    _n(width),
                    height,
                    _fill(chart_id, styles[index]),
                    bar.label,
                    series[index],
                    text,
                )
            )
            if width >= _text_width(text, SMALL) + 8:
                parts.append(_label(x + width / 2, y + height / 2 + 4, text))
            x += width
        if bar_total:
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{}" '
                    'stroke-width="1"/>',
                    _n(plot_x),
                    _n(y),
                    _n(x - plot_x),
                    height,
                    GRID,
                )
            )
        if not bar_total:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" fill="{}" font-style="italic">{}</text>',
                    _n(plot_x + 4),
                    _n(y + height / 2 + 5),
                    MUTED,
                    _("intet fordelt"),
                )
            )
        elif bar.total_text:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
                    _n(x + 6),
                    _n(y + height / 2 + 4),
                    SMALL,
                    INK,
                    bar.total_text,
                )
            )
        y += height + 10
    parts.append(
        format_html(
            '<line x1="{x}" y1="0" x2="{x}" y2="{y}" stroke="{c}" stroke-width="1"/>',
            x=_n(plot_x - 0.5),
            y=_n(y - 6),
            c=INK,
        )
    )
    legend, y = _legend(chart_id, series, y + 10, styles)
    parts.append(legend)
    return _svg(chart_id, title, description, y, _join(parts))


# --- Columns by year, above and below zero ------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str  # "2019"
    values: Sequence[int | None]  # one per series; None: nothing known (see `missing`)
    notes: Sequence[str] = ()  # per series, written instead of `missing` where a value is None


def column_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[str],
    columns: Sequence[Column],
    missing: Sequence[str] = (),
) -> SafeString:
    """Columns by year, series side by side; positive values rise above the zero line, negative
    ones (reductions) hang below it. Each column has its value written at its end; a None value
    of series i writes `missing[i]` (e.g. "ukendt") at the zero line, if given."""
    plot_top, plot_height = 24.0, 240.0
    positives = [v for c in columns for v in c.values if v is not None and v > 0]
    negatives = [-v for c in columns for v in c.values if v is not None and v < 0]
    up, down = max(positives, default=0), max(negatives, default=0)
    span = (up + down) or 1
    zero = plot_top + plot_height * up / span
    unit = plot_height / span
    gutter = 48.0  # room for the zero line's label
    slot = (WIDTH - gutter) / max(len(columns), 1)
    bar_width = min(64.0, (slot - 16) / max(len(series), 1))
    parts = [_pattern(chart_id, i) for i in range(len(series))]
    for position, column in enumerate(columns):
        left = gutter + position * slot + (slot - bar_width * len(series)) / 2
        for index, value in enumerate(column.values):
            x = left + index * bar_width
            centre = x + bar_width / 2
            if value is None:
                text = column.notes[index] if index < len(column.notes) else ""
                text = text or (missing[index] if index < len(missing) else "")
                if text:
                    parts.append(
                        format_html(
                            '<text x="{}" y="{}" text-anchor="middle" font-size="{}" fill="{}" '
                            'font-style="italic">{}</text>',
                            _n(centre),
                            _n(zero - 6 if index == 0 else zero + 16),
                            SMALL,
                            MUTED,
                            text,
                        )
                    )
                continue
            shown = format_kroner(value)
            if _text_width(shown, SMALL) > slot / max(len(series), 1) + 8:
                shown = compact_kroner(value)
            top = zero - value * unit if value > 0 else zero
            height = max(abs(value) * unit, 1 if value else 0)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" '
                    'stroke-width="0.5"><title>{} {}: {}</title></rect>',
                    _n(x + 2),
                    _n(top),
                    _n(bar_width - 4),
                    _n(height),
                    _fill(chart_id, index),
                    INK,
                    series[index],
                    column.label,
                    format_kroner(value, unit=True),
                )
            )
            label_y = top - 5 if value >= 0 else top + height + SMALL + 3
            parts.append(_label(centre, label_y, shown))
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-weight="bold" fill="{}">{}</text>',
                _n(gutter + position * slot + slot / 2),
                _n(plot_top + plot_height + 40),
                INK,
                column.label,
            )
        )
    parts.append(
        format_html(
            '<line x1="{g}" y1="{y}" x2="{w}" y2="{y}" stroke="{c}" stroke-width="1.5"/>'
            '<text x="{tx}" y="{ty}" text-anchor="end" font-size="{s}" fill="{m}">{zero}</text>',
            zero=format_kroner(0, unit=True),
            g=_n(gutter),
            tx=_n(gutter - 6),
            y=_n(zero),
            ty=_n(zero + 4),
            w=WIDTH,
            c=INK,
            s=SMALL,
            m=MUTED,
        )
    )
    legend, height = _legend(
        chart_id, series, plot_top + plot_height + 60, list(range(len(series)))
    )
    parts.insert(0, legend)
    return _svg(chart_id, title, description, height, _join(parts))


# --- Two bars per row (e.g. budget and actual) on one scale -------------------------------------


@dataclass(frozen=True)
class PairedBar:
    label: str
    values: Sequence[int | None]  # one per series; None is written as `missing`


def paired_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[str],
    rows: Sequence[PairedBar],
    missing: str = "",
) -> SafeString:
    """One group of bars per row, one bar per series, all on one scale, each value written
    after its bar."""
    values = [v or 0 for r in rows for v in r.values]
    top_value = max(values, default=0) or 1
    value_room = max((_text_width(format_kroner(v), SMALL) for v in values), default=0) + 16
    plot = WIDTH - value_room
    parts = [_pattern(chart_id, i) for i in range(len(series))]
    y = 4.0
    for row in rows:
        parts.append(
            format_html('<text x="0" y="{}" fill="{}">{}</text>', _n(y + FONT), INK, row.label)
        )
        y += 20
        for index, value in enumerate(row.values):
            shown = format_kroner(value) if value is not None else missing
            length = plot * max(value or 0, 0) / top_value
            parts.append(
                format_html(
                    '<rect x="0" y="{}" width="{}" height="12" fill="{}" stroke="{}" '
                    'stroke-width="0.5"><title>{}, {}: {}</title></rect>'
                    '<text x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
                    _n(y),
                    _n(max(length, 1)),
                    _fill(chart_id, index),
                    INK,
                    row.label,
                    series[index],
                    shown,
                    _n(length + 6),
                    _n(y + 11),
                    SMALL,
                    INK,
                    shown,
                )
            )
            y += 15
        y += 10
    axis = format_html(
        '<line x1="0.5" y1="20" x2="0.5" y2="{}" stroke="{}" stroke-width="1"/>', _n(y - 10), INK
    )
    legend, y = _legend(chart_id, series, y + 4, list(range(len(series))))
    return _svg(chart_id, title, description, y, _join([*parts, axis, legend]))
