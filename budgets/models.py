from django.db import models
from django.utils.translation import gettext_lazy as _

from grants.models import Initiative, Municipality, SourceDocument
from grants.money import KronerField


class BudgetProposal(models.Model):
    """A budget reduction or efficiency proposal (seed 001: Budget 2020-23)."""

    class Type(models.TextChoices):
        REDUCTION = "budgetreduktion", _("Budgetreduktion")
        EFFICIENCY = "effektivisering", _("Effektivisering")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="proposals"
    )
    code = models.CharField(_("nummer"), max_length=30)
    budget = models.CharField(_("budget"), max_length=50, help_text=_("Fx 'Budget 2020-23'."))
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
