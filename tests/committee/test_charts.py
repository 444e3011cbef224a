"""grants/charts.py: SVG with a title and a text alternative, labels escaped, patterns so that
colour is not the only cue, no script."""

import re
from xml.etree import ElementTree

from grants.svg import Bar, Column, StackedBar, bar_chart, column_chart, stacked_bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ElementTree.Element:
    """The chart's <svg>, out of its frame (well-formed XML, or this raises)."""
    frame = ElementTree.fromstring(str(markup))
    (svg,) = frame
    return svg


def test_a_chart_stands_in_a_frame_that_a_keyboard_can_scroll():
    """On a small screen the chart keeps a readable size and its frame scrolls sideways: the
    frame is a region named by the chart's title, and reachable with the Tab key."""
    chart = bar_chart(chart_id="c0", title="Tabel 1", description="d", bars=[Bar("A", 1, "1")])
    frame = ElementTree.fromstring(str(chart))
    assert frame.tag == "div" and frame.get("class") == "chart-scroll"
    assert frame.get("role") == "region" and frame.get("tabindex") == "0"
    assert frame.get("aria-labelledby") == "c0-title"
    assert parse(chart).tag == f"{SVG}svg"


def test_bar_chart_escapes_labels_and_has_title_and_desc():
    chart = bar_chart(
        chart_id="c1",
        title="Tabel <1> & co",
        description='Se tabellen "x"',
        bars=[Bar("<script>alert(1)</script>", 5, "5 kr."), Bar("Mad & ernæring", 0, "0 kr.")],
    )
    root = parse(chart)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Tabel <1> & co"
    assert root.find(f"{SVG}desc").text == 'Se tabellen "x"'
    assert "<script" not in chart
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chart
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Mad & ernæring" in texts and "5 kr." in texts


def test_stacked_chart_gives_every_series_its_own_pattern_and_a_legend():
    chart = stacked_bar_chart(
        chart_id="c2",
        title="t",
        description="d",
        series=["A", "B", "C"],
        bars=[
            StackedBar("X", [1, 2, 3], ["1", "2", "3"]),
            StackedBar("Y", [0, 0, 0], ["", "", ""]),
        ],
    )
    root = parse(chart)
    patterns = root.findall(f".//{SVG}pattern")
    assert [p.get("id") for p in patterns] == ["c2-p0", "c2-p1", "c2-p2"]
    shapes = {
        tuple(ElementTree.tostring(mark) for mark in p if mark.tag != f"{SVG}rect")
        for p in patterns
    }
    assert len(shapes) == 3  # different marks, not only different colours
    legend = [t.text for g in root.iter(f"{SVG}g") for t in g.iter(f"{SVG}text")]
    assert legend == ["A", "B", "C"]
    assert "intet fordelt" in chart  # an empty bar says so instead of showing nothing
    fills = re.findall(r'fill="url\(#(c2-p\d)\)"', chart)
    assert {"c2-p0", "c2-p1", "c2-p2"} <= set(fills)


def test_full_width_bars_are_as_wide_as_each_other():
    chart = stacked_bar_chart(
        chart_id="c3",
        title="t",
        description="d",
        series=["A", "B"],
        bars=[StackedBar("X", [500, 500], ["", ""]), StackedBar("Y", [100, 900], ["", ""])],
        full_width=True,
    )
    root = parse(chart)
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("fill") == "none"]
    assert len(widths) == 2 and abs(widths[0] - widths[1]) < 0.2


def test_column_chart_puts_reductions_below_the_zero_line_and_writes_unknown():
    chart = column_chart(
        chart_id="c4",
        title="t",
        description="d",
        series=["Tilskud", "Forslag"],
        columns=[Column("2019", [4_795_000, None]), Column("2020", [None, -3_596_000])],
        missing=["ukendt", ""],
    )
    root = parse(chart)
    zero = float(next(line.get("y1") for line in root.iter(f"{SVG}line")))
    bars = {
        r.find(f"{SVG}title").text: r
        for r in root.iter(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    }
    up = bars["Tilskud 2019: 4.795.000 kr."]
    down = bars["Forslag 2020: -3.596.000 kr."]
    assert float(up.get("y")) + float(up.get("height")) == zero
    assert float(down.get("y")) == zero
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "ukendt" in texts and "4.795.000" in texts and "-3.596.000" in texts
