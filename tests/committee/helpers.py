"""Test data and page reading for the committee's pages: data grown tenfold, and the rows of an
HTML table as text. Statements are made with tests.factories.make_statement."""

import datetime
import re
from html.parser import HTMLParser

from django.db.models import Max

from budgets.models import (
    BudgetProposal,
    ConsultationAnswer,
    Decision,
    DecisionOutcome,
    ProposalAmount,
    ProposalStatus,
)
from grants.models import (
    Grant,
    Initiative,
    InitiativeAmount,
    Municipality,
)
from tests.factories import make_statement


def grow_tenfold() -> None:
    """Ten times the initiatives (with amounts), the proposals (with amounts, linked to
    initiatives) and submitted statements for 2018 in many municipalities."""
    originals = list(Initiative.objects.select_related("municipality"))
    municipalities = list(Municipality.objects.order_by("code")[:40])
    new = Initiative.objects.bulk_create(
        Initiative(
            key=f"grow-{n}-{i.key}"[:120],
            municipality=municipalities[(n + k) % len(municipalities)],
            title=f"{i.title} (kopi {n})",
            description=i.description,
            focus_area_id=i.focus_area_id,
            programme_id=i.programme_id,
            source_id=i.source_id,
        )
        for n in range(9)
        for k, i in enumerate(originals)
    )
    InitiativeAmount.objects.bulk_create(
        InitiativeAmount(initiative=i, year=2016 + n % 4, amount=1000 * (n + 1), onward=n % 2 == 0)
        for n, i in enumerate(new)
    )
    proposals = list(BudgetProposal.objects.all())
    next_code = (BudgetProposal.objects.aggregate(m=Max("id"))["m"] or 0) + 1000
    copies = BudgetProposal.objects.bulk_create(
        BudgetProposal(
            municipality=municipalities[(n + k) % len(municipalities)],
            code=f"{next_code + n * 100 + k}X",
            budget=p.budget,
            committee=p.committee,
            committee_name=p.committee_name,
            activity_area=p.activity_area,
            centre=p.centre,
            title=f"{p.title} (kopi {n})",
            type=p.type,
        )
        for n in range(9)
        for k, p in enumerate(proposals)
    )
    ProposalAmount.objects.bulk_create(
        ProposalAmount(proposal=p, year=year, amount=-1000 * (n + 1))
        for n, p in enumerate(copies)
        for year in (2020, 2021, 2022, 2023)
    )
    for n, p in enumerate(copies):
        p.initiatives.add(new[n % len(new)])
    # Decisions on the copies (two each, one of them undated) and answers naming them.
    for n, m in enumerate(municipalities[:9]):
        own = [p for p in copies if p.municipality_id == m.pk]
        for k, date in enumerate((None, datetime.date(2030, 1, 1 + n))):
            decision = Decision.objects.create(
                municipality=m, body=f"Udvalg {k}", date=date, summary="Kopi."
            )
            DecisionOutcome.objects.bulk_create(
                DecisionOutcome(
                    decision=decision,
                    proposal=p,
                    status=ProposalStatus.values[(i + k) % len(ProposalStatus.values)],
                )
                for i, p in enumerate(own)
            )
        answer = ConsultationAnswer.objects.create(
            municipality=m, respondent="Ældrerådet", summary="Kopi."
        )
        answer.proposals.set(own)
    for n, m in enumerate(municipalities[:20]):
        if not Grant.objects.filter(municipality=m, grant_year__year=2018).exists():
            make_statement(m.code, 2018, {"livskvalitet": 1000 * (n + 1), "mad": 500})


class _TableReader(HTMLParser):
    def __init__(self, table_id: str):
        super().__init__(convert_charrefs=True)
        self.table_id = table_id
        self.depth = 0  # >0 while inside the wanted table
        self.section = ""
        self.rows: dict[str, list[list[str]]] = {"thead": [], "tbody": [], "tfoot": []}
        self.cell: list[str] | None = None
        self.caption: list[str] | None = None
        self.caption_text = ""
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (self.depth or attrs.get("id") == self.table_id):
            self.depth += 1
            return
        if not self.depth:
            return
        if tag in self.rows:
            self.section = tag
        elif tag == "tr":
            self.rows[self.section or "tbody"].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "caption":
            self.caption = []
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "table":
            self.depth -= 1
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[self.section or "tbody"][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "caption" and self.caption is not None:
            self.caption_text = " ".join("".join(self.caption).split())
            self.caption = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        elif self.caption is not None:
            self.caption.append(data)


def read_table(html: str, table_id: str) -> _TableReader:
    reader = _TableReader(table_id)
    reader.feed(html)
    assert reader.rows["thead"] or reader.rows["tbody"], f"no table #{table_id} on the page"
    return reader


def table_rows(html: str, table_id: str) -> list[list[str]]:
    return read_table(html, table_id).rows["tbody"]


def svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no chart #{chart_id} on the page"
    return match.group(0)


def percent_units(text: str) -> int:
    """ "33,4 %" -> 334 (tenths of a percent, as shown)."""
    match = re.fullmatch(r"(\d+),(\d) %", text.strip())
    assert match, f"not a share as shown: {text!r}"
    return int(match.group(1)) * 10 + int(match.group(2))
