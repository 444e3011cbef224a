"""A deterministic synthetic national data set for benchmarks and scale tests (never `make run`),
all of it marked: the source document "synthetic", Boks 1, keys "synth-…". Scale N: 4 × N grant
years and 15 × N initiatives per municipality."""

import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from grants.models import (
    AllocationLine,
    AuditChange,
    AuditEvent,
    FocusArea,
    FormRow,
    Grant,
    GrantYear,
    Initiative,
    InitiativeAmount,
    Municipality,
    Programme,
    SourceDocument,
    Statement,
)
from grants.permissions import statement_queryset
from grants.services import last_year_split, register_grant, save_statement

SEED = 20161
BOX1 = "Syntetisk redegørelse (testdata til ydelsesmålinger, ikke en rigtig kommunes tal)."


def _split(rng: random.Random, total: int, n: int) -> list[int]:
    """n whole-kroner amounts, some zero, summing exactly to total."""
    weights = [rng.choice([0, 0, 1, 2, 3, 5, 8]) for _ in range(n)]
    if not any(weights):
        weights[0] = 1
    parts = [total * w // sum(weights) for w in weights]
    parts[weights.index(max(weights))] += total - sum(parts)
    return parts


def _years(scale: int) -> list[GrantYear]:
    """The real years 2016-2019, then (scale > 1) synthetic years on 2019's form."""
    real = GrantYear.objects.filter(programme__slug="vaerdighed", year__range=(2016, 2019))
    years, wanted = list(real.order_by("year")), 4 * scale
    if wanted <= len(years):
        return years[:wanted]
    programme, _ = Programme.objects.get_or_create(
        slug="synthetic",
        defaults={
            "name": "Syntetisk program (testdata)",
            "first_year": 2020,
            "last_year": 2015 + wanted,
            "description": BOX1,
        },
    )
    template = years[-1]
    copied = ("table1_note", "table2_note", "box2_title")
    dated = ("form_title", "table1_title", "table2_title", "box1_title", "box2_text")
    row_fields = ("table", "position", "code", "label", "kind", "focus_area_id")
    for year in range(2020, 2016 + wanted):
        defaults = {f: getattr(template, f) for f in copied} | {
            f: getattr(template, f).replace("2019", str(year)) for f in dated
        }
        grant_year, created = GrantYear.objects.get_or_create(
            programme=programme, year=year, defaults=defaults
        )
        if created:
            FormRow.objects.bulk_create(
                FormRow(grant_year=grant_year, **{f: getattr(r, f) for f in row_fields})
                for r in template.rows.all()
            )
        years.append(grant_year)
    return years


@transaction.atomic
def create_synthetic(scale: int = 1) -> dict[str, int]:
    """Grants and submitted, balanced statements for every municipality and year that has none,
    and 15 × scale initiatives per municipality. One transaction: all of it or nothing."""
    rng = random.Random(SEED + scale)
    source, _ = SourceDocument.objects.get_or_create(
        key="synthetic",
        defaults={
            "title": "Syntetiske data (testdata til ydelsesmålinger)",
            "publisher": "Genereret af seed_synthetic",
        },
    )
    municipalities, years = list(Municipality.objects.order_by("code")), _years(scale)
    existing = set(Grant.objects.values_list("municipality_id", "grant_year_id"))
    grants = []
    for m in municipalities:
        base = rng.randrange(1_500_000, 60_000_000, 1_000)
        for y in years:
            if (m.pk, y.pk) not in existing:
                amount = base + rng.randrange(-200, 200) * 1_000
                grants.append(Grant(municipality=m, grant_year=y, amount=amount))
    Grant.objects.bulk_create(grants)
    statements = Statement.objects.bulk_create(
        [Statement(grant=g, box1=BOX1, box2_confirmed=True, version=3) for g in grants]
    )
    lines, rows = [], {y.pk: list(y.rows.all()) for y in years}
    for s in statements:
        for table in (1, 2):
            table_rows = [r for r in rows[s.grant.grant_year_id] if r.table == table]
            amounts = _split(rng, s.grant.amount, len(table_rows))
            for row, value in zip(table_rows, amounts, strict=True):
                spec = "Syntetisk specifikation" if row.takes_specification and value else ""
                lines.append(AllocationLine(statement=s, row=row, amount=value, specification=spec))
    AllocationLine.objects.bulk_create(lines)
    # Submitted after their lines exist: the database freezes a submitted statement's lines.
    Statement.objects.filter(pk__in=[s.pk for s in statements]).update(
        status=Statement.Status.SUBMITTED, submitted_at=timezone.now()
    )
    # Recorded as the seed records its statements: an event naming the source, the grant.
    events = AuditEvent.objects.bulk_create(
        [AuditEvent(statement=s, grant=s.grant, action="seed", source=source) for s in statements]
    )
    grant = AuditChange.Field.GRANT
    AuditChange.objects.bulk_create(
        [AuditChange(event=e, field=grant, after_amount=e.grant.amount) for e in events]
    )
    areas, programme = list(FocusArea.objects.all()), Programme.objects.get(slug="vaerdighed")
    initiatives = [
        Initiative(
            key=f"synth-{scale}-{m.code}-{i}",
            municipality=m,
            title=f"Syntetisk indsats {i + 1} i {m.name}",
            description="Syntetisk testindsats til ydelsesmålinger.",
            focus_area=rng.choice(areas),
            programme=programme,
            source=source,
        )
        for m in municipalities
        for i in range(15 * scale)
    ]
    Initiative.objects.bulk_create(initiatives, ignore_conflicts=True)
    amounts = [
        InitiativeAmount(
            initiative=i,
            year=rng.choice(years).year,
            amount=rng.randrange(50_000, 3_000_000, 1_000),
        )
        for i in Initiative.objects.filter(key__startswith=f"synth-{scale}-").only("pk")
    ]
    InitiativeAmount.objects.bulk_create(amounts, ignore_conflicts=True)
    return {"statements": len(statements), "initiatives": len(initiatives)}


def create_draft(username: str = "lyngby") -> Statement:
    """Lyngby-Taarbæk's 2019 draft with last year's split saved into it: the entry page the
    benchmarks measure and write to. Made before create_synthetic, which fills every free year."""
    user = get_user_model().objects.get(username=username)
    statement = register_grant(
        municipality=Municipality.objects.get(code="173"),
        grant_year=GrantYear.objects.get(programme__slug="vaerdighed", year=2019),
        amount=11_500_000,
        acting_user=user,
    )
    statement = statement_queryset().get(pk=statement.pk)
    save_statement(
        statement=statement,
        values=last_year_split(statement=statement),
        acting_user=user,
        expected_version=statement.version,
    )
    return statement
