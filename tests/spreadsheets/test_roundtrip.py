"""Export then import gives the same statement: property-based, through real files on disk."""

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grants.exports import statement_workbook
from grants.imports import parse_statement_workbook
from grants.rules import statement_figures
from grants.services import StatementValues, import_statement, save_statement
from tests.conftest import audit_size, get_statement

# Characters a spreadsheet cell can hold (XML 1.0 forbids most control characters).
TEXT = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"
) | st.sampled_from(["\n", "\t", "æ", "ø", "å", "Æ", "Ø", "Å", "=", "+", "-", "@"])
amount = st.none() | st.integers(min_value=0, max_value=10**10)
spec = st.text(TEXT, max_size=60).map(str.strip)
box1 = st.text(TEXT, max_size=400)
FORMULA_LIKE = ["=SUM(A1:A9)", "+45 12 34 56 78", "-nej", "@navn", "=1+1"]


def snapshot(statement):
    s = get_statement(statement.grant.municipality.code, statement.grant.grant_year.year)
    return (
        s.grant.amount,
        s.box1,
        s.box2_confirmed,
        [(line.row_id, line.amount, line.specification) for line in s.lines.all()],
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    amounts=st.lists(amount, min_size=12, max_size=12),
    specs=st.lists(spec | st.sampled_from(FORMULA_LIKE), min_size=3, max_size=3),
    box1=box1 | st.sampled_from(FORMULA_LIKE),
    box2=st.booleans(),
    grant=st.integers(min_value=0, max_value=10**10),
)
@example(
    amounts=[1] * 12,
    specs=['=HYPERLINK("x")', "+", "@"],
    box1="Æblegrød på plejehjem " + "ø" * 32_745,
    box2=True,
    grant=2_844_000,
)
def test_export_then_import_gives_the_same_statement(
    ishoj, tmp_path_factory, amounts, specs, box1, box2, grant
):
    s = get_statement("183", 2016)
    lines = list(s.lines.all())
    spec_rows = [line.row_id for line in lines if line.row.takes_specification]
    wanted = StatementValues(
        amounts={line.row_id: a for line, a in zip(lines, amounts, strict=True)},
        specifications=dict(zip(spec_rows, specs, strict=True)),
        box1=box1,
        box2_confirmed=box2,
        grant=grant,
    )
    save_statement(statement=s, values=wanted, acting_user=ishoj, expected_version=s.version)
    s = get_statement("183", 2016)
    expected = snapshot(s)
    path = Path(tmp_path_factory.mktemp("rt")) / "redegoerelse-183-2016.xlsx"
    path.write_bytes(statement_workbook(s, statement_figures(s)))

    # Someone changes everything; importing the file brings it all back.
    save_statement(
        statement=s,
        acting_user=ishoj,
        expected_version=s.version,
        values=StatementValues(
            amounts={line.row_id: 7 for line in lines},
            specifications={pk: "andet" for pk in spec_rows},
            box1="ændret",
            box2_confirmed=not box2,
            grant=1,
        ),
    )
    parsed = parse_statement_workbook(path.read_bytes())
    assert parsed.errors == []
    s = get_statement("183", 2016)
    import_statement(
        statement=s,
        parsed=parsed,
        acting_user=ishoj,
        filename=path.name,
        expected_version=s.version,
    )
    assert snapshot(s) == expected

    # The same file again changes nothing and records nothing.
    audit = audit_size()
    s = get_statement("183", 2016)
    assert (
        import_statement(
            statement=s,
            parsed=parse_statement_workbook(path.read_bytes()),
            acting_user=ishoj,
            filename=path.name,
            expected_version=s.version,
        )
        == []
    )
    assert audit_size() == audit
