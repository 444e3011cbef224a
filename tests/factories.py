"""Small makers of test data. New tests build what they need with these rather than leaning on
the seed's figures (the seed tests are where the seed is the point)."""

from django.utils import timezone

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


def make_programme(slug: str = "testpulje", first_year: int = 2030, last_year: int = 2031):
    return Programme.objects.create(
        slug=slug, name=f"Pulje {slug}", first_year=first_year, last_year=last_year
    )


def make_grant_year(
    year: int = 2030, *, programme: Programme | None = None, rows=None
) -> GrantYear:
    """A grant year with a small form: by default two rows in each table, one of them 'Andet'."""
    programme = programme or make_programme(first_year=year, last_year=year)
    grant_year = GrantYear.objects.create(
        programme=programme,
        year=year,
        form_title=f"Testskema {year}",
        table1_title=f"Budget for {year} fordelt på områder",
        table2_title=f"Budget {year} fordelt på udgifter",
        box1_title="Boks 1",
        box2_title="Bekræftelse",
        box2_text="Det bekræftes.",
    )
    rows = rows or [
        (1, "omraade", "Et område", FormRow.Kind.NORMAL),
        (1, "andet", "Andet", FormRow.Kind.OTHER),
        (2, "loen", "Lønudgifter", FormRow.Kind.NORMAL),
        (2, "andet", "Andet", FormRow.Kind.OTHER),
    ]
    for position, (table, code, label, kind) in enumerate(rows, start=1):
        FormRow.objects.create(
            grant_year=grant_year, table=table, position=position, code=code, label=label, kind=kind
        )
    return grant_year


def make_statement(
    municipality: Municipality | str,
    grant_year: GrantYear | int,
    table1: dict[str, int],
    table2: dict[str, int] | None = None,
    *,
    submitted: bool = True,
    box1: str = "",
) -> Statement:
    """A statement with the given amounts by row code (rows not named hold 0). The grant is the
    sum of Tabel 1; Tabel 2 defaults to all of it on its first row, so a submitted one balances.
    Made directly, not through the services: for tests that read statements."""
    if isinstance(municipality, str):
        municipality = Municipality.objects.get(code=municipality)
    if isinstance(grant_year, int):
        grant_year = GrantYear.objects.get(programme__slug="vaerdighed", year=grant_year)
    total = sum(table1.values())
    grant = Grant.objects.create(municipality=municipality, grant_year=grant_year, amount=total)
    statement = Statement.objects.create(grant=grant, box1=box1, box2_confirmed=submitted)
    rows = list(grant_year.rows.order_by("table", "position"))
    if table2 is None:
        first = next(r for r in rows if r.table == 2)
        table2 = {first.code: total}
    amounts = {1: table1, 2: table2}
    AllocationLine.objects.bulk_create(
        AllocationLine(
            statement=statement,
            row=row,
            amount=amounts[row.table].get(row.code, 0),
            specification="specificeret" if row.is_other else "",
        )
        for row in rows
    )
    if submitted:  # after its lines: the database freezes a submitted statement's lines
        Statement.objects.filter(pk=statement.pk).update(
            status=Statement.Status.SUBMITTED, submitted_at=timezone.now()
        )
        statement.refresh_from_db()
    return statement


def make_initiative(
    municipality: Municipality | str, title: str = "Testindsats", amounts=(), **fields
) -> Initiative:
    """An initiative; `amounts` as (year, amount) pairs."""
    if isinstance(municipality, str):
        municipality = Municipality.objects.get(code=municipality)
    initiative = Initiative.objects.create(
        key=fields.pop("key", f"test-{municipality.code}-{Initiative.objects.count()}"),
        municipality=municipality,
        title=title,
        **fields,
    )
    for year, amount in amounts:
        InitiativeAmount.objects.create(initiative=initiative, year=year, amount=amount)
    return initiative


def make_proposal(
    municipality: Municipality | str, code: str = "T1", amounts=(), **fields
) -> BudgetProposal:
    """A budget proposal; `amounts` as (year, kroner) pairs, negative is a reduction."""
    if isinstance(municipality, str):
        municipality = Municipality.objects.get(code=municipality)
    proposal = BudgetProposal.objects.create(
        municipality=municipality,
        code=code,
        budget=fields.pop("budget", "Budget 2030-33"),
        committee=fields.pop("committee", "SSU"),
        activity_area=fields.pop("activity_area", "Ældre"),
        title=fields.pop("title", f"Forslag {code}"),
        type=fields.pop("type", BudgetProposal.Type.REDUCTION),
        **fields,
    )
    for year, amount in amounts:
        ProposalAmount.objects.create(proposal=proposal, year=year, amount=amount)
    return proposal
