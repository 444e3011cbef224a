from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from grants.models import Initiative, Municipality, SourceDocument
from grants.money import KronerField

UNKNOWN_DATE = _("dato ukendt")


class ProposalStatus(models.TextChoices):
    """Where a proposal is in its life (DESIGN.md: proposal → sent to consultation or exempted →
    adopted or rejected, each step a dated decision by a named body)."""

    PROPOSED = "forslag", _("Forslag")
    CONSULTATION = "sendt_i_hoering", _("Sendt i høring")
    EXEMPTED = "undtaget_fra_hoering", _("Undtaget fra høring")
    ADOPTED = "vedtaget", _("Vedtaget")
    REJECTED = "forkastet", _("Forkastet")
    WITHDRAWN = "trukket", _("Trukket")


def latest_first(prefix: str = "") -> list:
    """The order of decisions, latest first: by date; a decision of unknown date counts as
    earlier than every dated one (we cannot tell that it came later, so it never overrules a
    dated decision); on the same date, or among undated ones, the one recorded last."""
    return [F(f"{prefix}date").desc(nulls_last=True), F(f"{prefix}pk").desc()]


class ProposalQuerySet(models.QuerySet):
    def with_status(self) -> "ProposalQuerySet":
        """Each proposal's current status as `status`: the outcome its latest decision
        (`latest_first`) gave it, or "forslag" before any decision. Derived, never stored, so
        it cannot disagree with the decisions; one subquery, no extra query."""
        latest = DecisionOutcome.objects.filter(proposal=OuterRef("pk")).order_by(
            *latest_first("decision__")
        )
        return self.annotate(
            status=Coalesce(
                Subquery(latest.values("status")[:1]),
                Value(ProposalStatus.PROPOSED.value),
                output_field=models.CharField(),
            )
        )


class BudgetProposal(models.Model):
    """A budget reduction or efficiency proposal (seed 001: Budget 2020-23). Its status comes
    from its decisions (`ProposalQuerySet.with_status`)."""

    class Type(models.TextChoices):
        REDUCTION = "budgetreduktion", _("Budgetreduktion")
        EFFICIENCY = "effektivisering", _("Effektivisering")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="proposals"
    )
    code = models.CharField(_("nummer"), max_length=30)
    budget = models.CharField(_("budget"), max_length=50, help_text=_("Fx 'Budget 2020-23'."))
    price_level = models.CharField(
        _("prisniveau"), max_length=30, blank=True, help_text=_("Fx '2020-priser'.")
    )
    committee = models.CharField(_("udvalg"), max_length=20)
    committee_name = models.CharField(_("udvalgets navn"), max_length=200, blank=True)
    activity_area = models.CharField(_("aktivitetsområde"), max_length=200)
    centre = models.CharField(_("center"), max_length=50, blank=True)
    title = models.CharField(_("titel"), max_length=300)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    description = models.TextField(_("beskrivelse"), blank=True)
    initiatives = models.ManyToManyField(
        Initiative, blank=True, related_name="proposals", verbose_name=_("indsatser")
    )
    source = models.ForeignKey(
        SourceDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals"
    )

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["municipality__name", "code"]
        verbose_name = _("budgetforslag")
        verbose_name_plural = _("budgetforslag")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"],
                name="proposal_code_unique_per_municipality",
                violation_error_message=_("Kommunen har allerede et forslag med dette nummer."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def status_label(self) -> str:
        """The current status in the reader's language; needs `with_status()`."""
        return ProposalStatus(self.status).label


class ProposalAmount(models.Model):
    """A proposal's effect in one budget year; negative is a reduction (as the budget writes it)."""

    proposal = models.ForeignKey(BudgetProposal, on_delete=models.CASCADE, related_name="amounts")
    year = models.PositiveSmallIntegerField(_("år"))
    amount = KronerField(_("beløb"), help_text=_("Hele kroner; negativt er en besparelse."))
    fte = models.DecimalField(_("årsværk"), max_digits=6, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("beløb for forslag")
        verbose_name_plural = _("beløb for forslag")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "year"],
                name="proposal_amount_one_per_year",
                violation_error_message=_("Forslaget har allerede et beløb for dette år."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal.code} {self.year}"


class Decision(models.Model):
    """A dated decision by a named body (a committee, Økonomiudvalget, Kommunalbestyrelsen) on
    one or more proposals, each with the status it resulted in (`DecisionOutcome`). The summary
    is ours, not the minutes' wording; an unknown date stays unknown."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="proposal_decisions"
    )
    date = models.DateField(_("dato"), null=True, blank=True, help_text=_("Tom: ukendt."))
    body = models.CharField(
        _("besluttende organ"), max_length=200, help_text=_("Fx 'Social- og Sundhedsudvalget'.")
    )
    reference = models.CharField(
        _("møde og punkt"), max_length=300, blank=True, help_text=_("Fx 'Punkt 3'.")
    )
    summary = models.TextField(
        _("vores sammenfatning"), help_text=_("Beslutningen med vores egne ord, ikke referatets.")
    )
    competence = models.TextField(
        _("beslutningskompetence"),
        blank=True,
        help_text=_("Hvem der træffer hvilken beslutning i sagen, som kilden angiver det."),
    )
    proposals = models.ManyToManyField(
        BudgetProposal,
        through="DecisionOutcome",
        related_name="decisions",
        verbose_name=_("budgetforslag"),
    )
    source = models.ForeignKey(
        SourceDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )

    class Meta:
        ordering = [F("date").asc(nulls_first=True), "pk"]
        verbose_name = _("beslutning om budgetforslag")
        verbose_name_plural = _("beslutninger om budgetforslag")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "body", "date", "reference"],
                name="decision_unique_per_body_date_reference",
                violation_error_message=_(
                    "Organet har allerede en beslutning med denne dato og dette punkt."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(body=""),
                name="decision_body_named",
                violation_error_message=_("Skriv hvilket organ der traf beslutningen."),
            ),
            models.CheckConstraint(
                condition=~Q(summary=""),
                name="decision_summary_written",
                violation_error_message=_("Skriv en sammenfatning af beslutningen."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.body} {self.date or UNKNOWN_DATE}"


class DecisionOutcome(models.Model):
    """What a decision did to one proposal: the status it resulted in."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="outcomes")
    proposal = models.ForeignKey(BudgetProposal, on_delete=models.CASCADE, related_name="outcomes")
    status = models.CharField(_("status efter beslutningen"), max_length=30, choices=ProposalStatus)

    class Meta:
        ordering = ["decision", "proposal__code"]
        verbose_name = _("udfald for et forslag")
        verbose_name_plural = _("udfald for forslagene")
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "proposal"],
                name="decision_outcome_one_per_proposal",
                violation_error_message=_("Beslutningen har allerede et udfald for forslaget."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values),
                name="decision_outcome_status_valid",
                violation_error_message=_("Ukendt status."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal.code}: {self.get_status_display()}"


class AnswerKind(models.TextChoices):
    ANSWER = "hoeringssvar", _("Høringssvar")
    STATEMENT = "udtalelse", _("Udtalelse uden for høringen")


class ConsultationAnswer(models.Model):
    """What a council or organisation (e.g. Seniorrådet) said about proposals: an answer to the
    consultation, or a statement outside it. The summary is ours."""

    Kind = AnswerKind

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="consultation_answers"
    )
    respondent = models.CharField(_("afsender"), max_length=200, help_text=_("Fx 'Seniorrådet'."))
    kind = models.CharField(_("art"), max_length=20, choices=Kind, default=Kind.ANSWER)
    date = models.DateField(_("dato"), null=True, blank=True, help_text=_("Tom: ukendt."))
    reference = models.CharField(
        _("dokument og punkt"), max_length=300, blank=True, help_text=_("Fx 'Referat, punkt 6'.")
    )
    summary = models.TextField(
        _("vores sammenfatning"), help_text=_("Svarets hovedpunkter med vores egne ord.")
    )
    proposals = models.ManyToManyField(
        BudgetProposal, related_name="consultation_answers", verbose_name=_("budgetforslag")
    )
    source = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation_answers",
    )

    class Meta:
        ordering = [F("date").asc(nulls_first=True), "pk"]
        verbose_name = _("høringssvar")
        verbose_name_plural = _("høringssvar")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "respondent", "date", "reference"],
                name="consultation_answer_unique_per_respondent_date",
                violation_error_message=_(
                    "Afsenderen har allerede et svar med denne dato og dette dokument."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(respondent=""),
                name="consultation_answer_respondent_named",
                violation_error_message=_("Skriv hvem svaret er fra."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AnswerKind.values),
                name="consultation_answer_kind_valid",
                violation_error_message=_("Ukendt art."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.respondent} {self.date or UNKNOWN_DATE}"
