"""A deterministic synthetic national data set for benchmarks and scale tests.

Never loaded by `make run`. Everything it creates is marked: initiatives and the extra programme
point at the source document "synthetic", statements' Boks 1 says so, keys start with "synth-".
Scale N multiplies the grant years (4 × N) and the initiatives (15 × N per municipality).
"""

import random

from django.db import transaction
from django.utils import timezone

from grants.cache import bump_on_commit
from grants.models import (
    AllocationLine,
    AuditEntry,
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
from grants.money import format_kroner

SEED = 20161
SYNTHETIC_BOX1 = (
    "Syntetisk redegørelse (testdata til ydelsesmålinger, ikke en rigtig kommunes tal)."
)


def _split(rng: random.Random, total: int, n: int) -> list[int]:
    """n whole-kroner amounts, some zero, summing exactly to total."""
    weights = [rng.choice([0, 0, 1, 2, 3, 5, 8]) for _ in range(n)]
    if not any(weights):
        weights[0] = 1
    parts = [total * w // sum(weights) for w in weights]
    parts[weights.index(max(weights))] += total - sum(parts)
    return parts


def _years(scale: int) -> list[GrantYear]:
    """The real years 2016-2019, plus synthetic years after them when scale > 1."""
    real = list(GrantYear.objects.filter(year__range=(2016, 2019)).order_by("year"))
    wanted = 4 * scale
    if wanted <= len(real):
        return real[:wanted]
    programme, _ = Programme.objects.get_or_create(
        slug="synthetic",
        defaults={
            "name": "Syntetisk program (testdata)",
            "first_year": 2020,
            "last_year": 2015 + wanted,
            "description": SYNTHETIC_BOX1,
        },
    )
    template = real[-1]
    years = list(real)
    for year in range(2020, 2016 + wanted):
        grant_year, created = GrantYear.objects.get_or_create(
            year=year,
            defaults={
                "programme": programme,
                "form_title": template.form_title.replace("2019", str(year)),
                "table1_title": template.table1_title.replace("2019", str(year)),
                "table2_title": template.table2_title.replace("2019", str(year)),
                "table1_note": template.table1_note,
                "table2_note": template.table2_note,
                "box1_title": template.box1_title.replace("2019", str(year)),
                "box2_title": template.box2_title,
                "box2_text": template.box2_text.replace("2019", str(year)),
            },
        )
        if created:
            FormRow.objects.bulk_create(
                FormRow(
                    grant_year=grant_year,
                    table=r.table,
                    position=r.position,
                    code=r.code,
                    label=r.label,
                    kind=r.kind,
                    focus_area_id=r.focus_area_id,
                )
                for r in template.rows.all()
            )
        years.append(grant_year)
    return years


@transaction.atomic
def create_synthetic(scale: int = 1) -> dict[str, int]:
    bump_on_commit()
    rng = random.Random(SEED + scale)
    source, _ = SourceDocument.objects.get_or_create(
        key="synthetic",
        defaults={
            "title": "Syntetiske data (testdata til ydelsesmålinger)",
            "publisher": "Genereret af seed_synthetic",
        },
    )
    programme = Programme.objects.get(slug="vaerdighed")
    areas = list(FocusArea.objects.all())
    municipalities = list(Municipality.objects.order_by("code"))
    years = _years(scale)
    rows_by_year = {y.pk: list(y.rows.all()) for y in years}
    existing = set(Grant.objects.values_list("municipality_id", "grant_year_id"))
    now = timezone.now()
    counts = {"statements": 0, "initiatives": 0}

    grants = []
    for m in municipalities:
        base = rng.randrange(1_500_000, 60_000_000, 1_000)
        for y in years:
            if (m.pk, y.pk) not in existing:
                grants.append(
                    Grant(
                        municipality=m, grant_year=y, amount=base + rng.randrange(-200, 200) * 1_000
                    )
                )
    Grant.objects.bulk_create(grants, batch_size=2000)
    statements = [
        Statement(
            grant=g,
            status=Statement.Status.SUBMITTED,
            box1=SYNTHETIC_BOX1,
            box2_confirmed=True,
            submitted_at=now,
            version=3,
        )
        for g in grants
    ]
    Statement.objects.bulk_create(statements, batch_size=2000)
    lines, audit = [], []
    for s in statements:
        rows = rows_by_year[s.grant.grant_year_id]
        for table in (1, 2):
            table_rows = [r for r in rows if r.table == table]
            for row, amount in zip(
                table_rows, _split(rng, s.grant.amount, len(table_rows)), strict=True
            ):
                spec = "Syntetisk specifikation" if row.takes_specification and amount else ""
                lines.append(
                    AllocationLine(statement=s, row=row, amount=amount, specification=spec)
                )
        audit += [
            AuditEntry(
                statement=s,
                grant=s.grant,
                action=AuditEntry.Action.CREATE,
                field="Tilskud",
                after=format_kroner(s.grant.amount),
                note="syntetisk",
            ),
            AuditEntry(
                statement=s,
                grant=s.grant,
                action=AuditEntry.Action.UPDATE,
                field="Boks 1",
                after=SYNTHETIC_BOX1,
                note="syntetisk",
            ),
            AuditEntry(
                statement=s,
                grant=s.grant,
                action=AuditEntry.Action.SUBMIT,
                field="Status",
                before="Kladde",
                after="Indsendt",
                note="syntetisk",
            ),
        ]
    AllocationLine.objects.bulk_create(lines, batch_size=5000)
    AuditEntry.objects.bulk_create(audit, batch_size=5000)
    counts["statements"] = len(statements)

    initiatives = []
    for m in municipalities:
        for i in range(15 * scale):
            initiatives.append(
                Initiative(
                    key=f"synth-{scale}-{m.code}-{i}",
                    municipality=m,
                    title=f"Syntetisk indsats {i + 1} i {m.name}",
                    description="Syntetisk testindsats til ydelsesmålinger.",
                    focus_area=rng.choice(areas),
                    programme=programme,
                    source=source,
                )
            )
    Initiative.objects.bulk_create(initiatives, batch_size=5000, ignore_conflicts=True)
    created = Initiative.objects.filter(key__startswith=f"synth-{scale}-")
    amounts = [
        InitiativeAmount(
            initiative=i,
            year=rng.choice(years).year,
            amount=rng.randrange(50_000, 3_000_000, 1_000),
        )
        for i in created.only("pk")
    ]
    InitiativeAmount.objects.bulk_create(amounts, batch_size=5000, ignore_conflicts=True)
    counts["initiatives"] = len(initiatives)
    return counts
