"""The statement rules (DESIGN.md §Rules 2, 5, 6), on plain values: no database needed."""

from hypothesis import given
from hypothesis import strategies as st

from grants.models import FormRow
from grants.rules import RowFigure, compute_figures

K = FormRow.Kind


def rows_2018() -> tuple[list[FormRow], list[FormRow]]:
    t1 = [
        ("livskvalitet", K.NORMAL),
        ("selvbestemmelse", K.NORMAL),
        ("kvalitet", K.NORMAL),
        ("mad", K.NORMAL),
        ("vaerdig_doed", K.NORMAL),
        ("andet", K.OTHER),
        ("administration", K.ADMINISTRATION),
    ]
    t2 = [
        ("loen", K.NORMAL),
        ("kompetence", K.NORMAL),
        ("anskaffelser", K.PURCHASES),
        ("andet", K.OTHER),
        ("administration", K.ADMINISTRATION),
    ]
    pk = iter(range(1, 100))
    make = lambda table, items: [  # noqa: E731
        FormRow(pk=next(pk), table=table, position=i, code=c, label=c.capitalize(), kind=k)
        for i, (c, k) in enumerate(items, start=1)
    ]
    return make(1, t1), make(2, t2)


T1, T2 = rows_2018()


def figures(grant, amounts1, amounts2, specs=None, box2=True, box1="Boks 1 er skrevet."):
    specs = specs or {}
    rows = [RowFigure(r, a, specs.get((1, r.code), "")) for r, a in zip(T1, amounts1, strict=True)]
    rows += [RowFigure(r, a, specs.get((2, r.code), "")) for r, a in zip(T2, amounts2, strict=True)]
    return compute_figures(grant=grant, rows=rows, box2_confirmed=box2, box1=box1)


LYNGBY_T1 = [8_879_000, 520_000, 1_607_000, 0, 64_000, 0, 210_000]
LYNGBY_T2 = [10_245_000, 425_000, 100_000, 300_000, 210_000]
LYNGBY_SPECS = {(2, "andet"): "licenser og indsatser rettet mod de pårørende"}


def test_lyngby_2018_balances_and_can_be_submitted():
    f = figures(11_280_000, LYNGBY_T1, LYNGBY_T2, LYNGBY_SPECS)
    assert f.table1.total == f.table2.total == 11_280_000
    assert f.errors == []
    assert not f.errors
    # Anskaffelser 100.000 without a specification is a soft check only.
    assert [w.code for w in f.warnings] == ["purchases_unspecified"]


def test_short_table_names_table_and_difference():
    t2 = LYNGBY_T2[:]
    t2[0] -= 12_000
    f = figures(11_280_000, LYNGBY_T1, t2, LYNGBY_SPECS)
    assert [e.message for e in f.errors] == ["Tabel 2 mangler 12.000 kr."]
    assert f.table2.remaining == 12_000


def test_over_allocated_table():
    t1 = LYNGBY_T1[:]
    t1[0] += 3_000
    f = figures(11_280_000, t1, LYNGBY_T2, LYNGBY_SPECS)
    assert [e.message for e in f.errors] == ["Tabel 1 overstiger tilskuddet med 3.000 kr."]
    assert f.table1.remaining == -3_000


def test_used_other_row_needs_specification():
    f = figures(11_280_000, LYNGBY_T1, LYNGBY_T2, {})
    assert [e.code for e in f.errors] == ["other_unspecified"]
    assert "Andet" in f.errors[0].message and "300.000" in f.errors[0].message


def test_unused_other_row_needs_no_specification():
    t2 = [10_545_000, 425_000, 100_000, 0, 210_000]
    assert figures(11_280_000, LYNGBY_T1, t2).errors == []


def test_box2_must_be_ticked():
    f = figures(11_280_000, LYNGBY_T1, LYNGBY_T2, LYNGBY_SPECS, box2=False)
    assert [e.message for e in f.errors] == ["Boks 2: Bekræftelsen er ikke afkrydset."]


def test_administration_rows_differing_is_a_warning_only():
    t1 = LYNGBY_T1[:]
    t1[6], t1[0] = 200_000, t1[0] + 10_000
    f = figures(11_280_000, t1, LYNGBY_T2, LYNGBY_SPECS)
    assert f.errors == []
    assert "administration_differs" in [w.code for w in f.warnings]


def test_empty_draft_lists_what_is_left_without_inventing_zeroes():
    f = figures(2_844_000, [None] * 7, [None] * 5, box2=False)
    assert f.table1.remaining == f.table2.remaining == 2_844_000
    assert all(r.amount is None for r in f.table1.rows)
    assert [e.message for e in f.errors][:2] == [
        "Tabel 1 mangler 2.844.000 kr.",
        "Tabel 2 mangler 2.844.000 kr.",
    ]


amounts = st.integers(min_value=0, max_value=10**9)


@given(
    st.lists(amounts, min_size=7, max_size=7),
    st.lists(amounts, min_size=5, max_size=5),
    st.integers(min_value=0, max_value=7 * 10**9),
)
def test_sum_rule_property(a1, a2, grant):
    """A table passes exactly when it sums to the grant, and the message gives the difference."""
    f = figures(grant, a1, a2, {(1, "andet"): "x", (2, "andet"): "x"})
    for table, values in ((f.table1, a1), (f.table2, a2)):
        assert table.total == sum(values)
        assert table.remaining == grant - sum(values)
        unbalanced = [e for e in f.errors if e.code == "unbalanced" and e.table == table.table]
        assert bool(unbalanced) == (sum(values) != grant)


@given(st.lists(amounts, min_size=6, max_size=6), st.lists(amounts, min_size=4, max_size=4))
def test_balanced_tables_always_pass(a1, a2):
    grant = sum(a1)
    # Make table 2 balance by putting the difference on its first row.
    a2 = [max(0, grant - sum(a2[1:]))] + a2[1:]
    a1 = a1 + [0]
    if sum(a2) != grant:
        return
    f = figures(grant, a1, a2 + [0], {(1, "andet"): "x", (2, "andet"): "x"})
    assert [e for e in f.errors if e.code == "unbalanced"] == []


def test_boks_1_must_be_written():
    f = figures(100, [100, 0, 0, 0, 0, 0, 0], [100, 0, 0, 0, 0], box1=" \n ")
    assert [e.code for e in f.errors] == ["box1_missing"]
    assert f.errors[0].field_id == "box1"
