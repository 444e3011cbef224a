"""Loading the reference and seed data (fixtures/) idempotently: a second load changes nothing.

Reference data (municipalities, programmes, years and their rows, sources, initiatives, proposals)
is brought up to the files' content by natural key. A statement is created once and then left alone:
after that it belongs to its users, and the audit trail records what they do with it. The
ministry's grant tables (fixtures/reference/) are applied as an administrator applies one
(grants.grant_table, grants.services.apply_grant_table), after the seed's statements, whose grants
they must agree with: a table never corrects a submitted statement here.
"""

import csv
import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from grants.grant_table import read_grant_table
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
    StatementStep,
)
from grants.services import apply_grant_table

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def load_json(name: str) -> dict:
    return json.loads((FIXTURES / "seed" / name).read_text(encoding="utf-8"))


def upsert(model, lookup: dict, values: dict) -> tuple[object, bool]:
    """update_or_create that writes only when something differs (so a reload touches nothing)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True
    dirty = [name for name, value in values.items() if getattr(obj, name) != value]
    if dirty:
        for name in dirty:
            setattr(obj, name, values[name])
        obj.save(update_fields=dirty)
    return obj, bool(dirty)


def load_municipalities() -> int:
    changed = 0
    with (FIXTURES / "reference" / "municipalities.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            _, c = upsert(
                Municipality,
                {"code": row["code"]},
                {"name": row["name"], "region_code": row["region_code"], "region": row["region"]},
            )
            changed += c
    return changed


def load_programmes() -> int:
    data = load_json("programmes.json")
    changed = 0
    for position, area in enumerate(data["focus_areas"], start=1):
        changed += upsert(
            FocusArea, {"slug": area["slug"]}, {"name": area["name"], "position": position}
        )[1]
    for source in data["sources"]:
        key = source["key"]
        changed += upsert(
            SourceDocument, {"key": key}, {k: v for k, v in source.items() if k != "key"}
        )[1]
    sources = {s.key: s for s in SourceDocument.objects.all()}
    fields = (
        "name",
        "first_year",
        "last_year",
        "block_grant_from",
        "annual_amount",
        "description",
        "source_note",
    )
    for prog in data["programmes"]:
        programme, c = upsert(Programme, {"slug": prog["slug"]}, {k: prog[k] for k in fields})
        changed += c
        for year in prog["years"]:
            grant_year = GrantYear.objects.filter(programme=programme, year=year["year"]).first()
            texts = {k: v for k, v in year.items() if k not in ("year", "rows", "form_source")}
            if grant_year is None:
                grant_year = GrantYear.objects.create(
                    programme=programme,
                    year=year["year"],
                    form_source=sources.get(year.get("form_source") or ""),
                    **texts,
                )
                changed += 1
                for table, rows in year.get("rows", {}).items():
                    for position, row in enumerate(rows, start=1):
                        FormRow.objects.create(
                            grant_year=grant_year,
                            table=int(table),
                            position=position,
                            code=row["code"],
                            label=row["label"],
                            kind=row["kind"],
                            focus_area=FocusArea.objects.get(slug=row["focus_area"])
                            if row["focus_area"]
                            else None,
                        )
            # An existing year's texts and rows belong to the administrators: not overwritten.
    return changed


def load_initiatives() -> int:
    changed = 0
    records = load_json("initiatives.json")["initiatives"]
    records += load_json("proposals.json")["initiatives"]  # those the proposals cut
    municipalities = {m.code: m for m in Municipality.objects.all()}
    areas = {a.slug: a for a in FocusArea.objects.all()}
    programmes = {p.slug: p for p in Programme.objects.all()}
    sources = {s.key: s for s in SourceDocument.objects.all()}
    for rec in records:
        initiative, c = upsert(
            Initiative,
            {"key": rec["key"]},
            {
                "municipality": municipalities[rec["municipality_code"]],
                "title": rec["title"],
                "description": rec["description"],
                "effect": rec.get("effect", ""),
                "focus_area": areas.get(rec["focus_area"]) if rec["focus_area"] else None,
                "programme": programmes.get(rec["programme"]) if rec["programme"] else None,
                "source": sources[rec["source"]],
                "form_row_code": rec.get("form_row_code", ""),
            },
        )
        changed += c
        for amount in rec["amounts"]:
            changed += upsert(
                InitiativeAmount,
                {"initiative": initiative, "year": amount["year"]},
                {
                    "amount": amount.get("amount"),
                    "onward": amount.get("onward", False),
                    "funding": amount.get("funding", ""),
                    # Each amount names its document: the initiative's, unless it says otherwise.
                    "source": sources[amount.get("source", rec["source"])],
                    "note": amount.get("note", ""),
                },
            )[1]
    return changed


def load_statements() -> int:
    changed = 0
    for rec in load_json("statements.json")["statements"]:
        municipality = Municipality.objects.get(code=rec["municipality_code"])
        grant_year = GrantYear.objects.get(programme__slug=rec["programme"], year=rec["year"])
        if Grant.objects.filter(municipality=municipality, grant_year=grant_year).exists():
            continue
        source = SourceDocument.objects.get(key=rec["source"])
        grant = Grant.objects.create(
            municipality=municipality, grant_year=grant_year, amount=rec["grant"], source=source
        )
        box1 = rec.get("box1", "")
        if rec.get("box1_file"):
            box1 = (FIXTURES / "seed" / rec["box1_file"]).read_text(encoding="utf-8").strip()
        submitted = rec["status"] == Statement.Status.SUBMITTED
        statement = Statement.objects.create(
            grant=grant,
            box1=box1,
            box2_confirmed=rec["box2_confirmed"],
            source=source,
            box1_is_summary=bool(box1),  # every Boks 1 the seed carries is our own summary
        )
        for row in grant_year.rows.all():
            value = rec["lines"][str(row.table)].get(row.code)
            amount, spec = value if isinstance(value, list) else (value, "")
            AllocationLine.objects.create(
                statement=statement, row=row, amount=amount, specification=spec
            )
        if submitted:  # after its lines: the database freezes a submitted statement's lines
            # The sources give no submission date: it stays unknown (never the loading time).
            Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.SUBMITTED)
        for kind in rec.get("steps", []):
            # A step the source shows happened (the published form), its date unknown.
            StatementStep.objects.create(statement=statement, kind=kind, date=None)
        event = AuditEvent.objects.create(
            statement=statement,
            grant=grant,
            action=AuditEvent.Action.SEED,
            source=source,
        )
        AuditChange.objects.create(
            event=event, field=AuditChange.Field.GRANT, after_amount=rec["grant"]
        )
        changed += 1
    return changed


# The ministry's tables of grants: file in fixtures/reference/, programme, source document key.
GRANT_TABLES = [("tilskud-vaerdighed-2016-2018.csv", "vaerdighed", "ft-978")]


def load_grant_tables() -> int:
    """Register the tables' grants not yet registered (each with its draft statement); a grant
    already registered with the same amount is left as it is."""
    changed = 0
    for filename, slug, source_key in GRANT_TABLES:
        programme = Programme.objects.get(slug=slug)
        path = FIXTURES / "reference" / filename
        table = read_grant_table(path.read_bytes(), filename=filename, programme=programme)
        plan = apply_grant_table(
            programme=programme,
            figures=table.figures,
            acting_user=None,
            source=SourceDocument.objects.get(key=source_key),
            filename=filename,
        )
        changed += len(plan.new) + len(plan.changed)
    return changed


@transaction.atomic
def load_grant_data() -> dict[str, int]:
    """grants' part of the seed; `manage.py load_seed` (budgets.seed) adds the proposals."""
    return {
        "municipalities": load_municipalities(),
        "programmes": load_programmes(),
        "initiatives": load_initiatives(),
        "statements": load_statements(),
        "grants": load_grant_tables(),
    }
