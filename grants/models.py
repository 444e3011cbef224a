import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from grants.money import KronerField, format_kroner


class Municipality(models.Model):
    code = models.CharField(_("kommunekode"), max_length=3, unique=True)
    name = models.CharField(_("navn"), max_length=100)
    region_code = models.CharField(_("regionskode"), max_length=4, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def full_name(self) -> str:
        """As the form writes it: "Lyngby-Taarbæk Kommune"."""
        return f"{self.name} Kommune"


DEFAULT_PROGRAMME = "vaerdighed"  # what a URL, page or command that names no programme means


class Programme(models.Model):
    """An earmarked state pool (pulje): its years as a pool and, for most, the year from which
    its money is part of the municipalities' general block grant (bloktilskud)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("navn"), max_length=100)
    first_year = models.PositiveSmallIntegerField(_("første år"))
    last_year = models.PositiveSmallIntegerField(
        _("sidste år som pulje"), null=True, blank=True, help_text=_("Tom for en varig pulje.")
    )
    block_grant_from = models.PositiveSmallIntegerField(
        _("i bloktilskuddet fra"),
        null=True,
        blank=True,
        help_text=_("Året fra hvilket midlerne er en del af bloktilskuddet (ikke øremærkede)."),
    )
    annual_amount = KronerField(_("beløb pr. år i alt (kr.)"), null=True, blank=True)
    description = models.TextField(_("beskrivelse"), blank=True)
    source_note = models.CharField(
        _("kilder"), max_length=300, blank=True, help_text=_("Hvor fakta om puljen stammer fra.")
    )

    class Meta:
        ordering = ["first_year", "name"]
        verbose_name = _("pulje")
        verbose_name_plural = _("puljer")
        constraints = [
            models.CheckConstraint(
                condition=Q(last_year__isnull=True) | Q(last_year__gte=F("first_year")),
                name="programme_years_ordered",
                violation_error_message=_("Sidste år må ikke ligge før første år."),
            ),
            models.CheckConstraint(
                condition=Q(block_grant_from__isnull=True)
                | Q(last_year__isnull=False, block_grant_from__gt=F("last_year")),
                name="programme_block_grant_after_pool",
                violation_error_message=_(
                    "Bloktilskuddet kan først overtage efter puljens sidste år."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def years_label(self) -> str:
        if self.last_year is None:
            return _("fra %(first)s") % {"first": self.first_year}
        return f"{self.first_year}-{self.last_year}"

    def in_block_grant(self, year: int) -> bool:
        """Is the pool's money part of the block grant (no longer earmarked) in `year`?"""
        return self.block_grant_from is not None and year >= self.block_grant_from

    @classmethod
    def all_years(cls) -> range:
        """From the first programme's first year to the last year any pool ran, or the current
        year where a pool runs on (one query)."""
        span = cls.objects.aggregate(
            first=models.Min("first_year"),
            last=models.Max("last_year"),
            open=models.Count("pk", filter=Q(last_year__isnull=True)),
        )
        if span["first"] is None:
            return range(0)
        last = span["last"] or span["first"]
        if span["open"]:
            last = max(last, timezone.localdate().year)
        return range(span["first"], last + 1)


class FocusArea(models.Model):
    """A focus area of the dignity policy, shared across years for filtering initiatives."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("navn"), max_length=100)
    position = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("fokusområde")
        verbose_name_plural = _("fokusområder")

    def __str__(self) -> str:
        return self.name


class GrantYear(models.Model):
    """One year of a programme and, where one is on record, that year's redegørelse form: its
    texts here, its rows as FormRow objects (the form changed over the years, so its labels are
    data an administrator maintains). A form's texts come from a source document, or the year
    says plainly that they are not verified against one."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="years")
    year = models.PositiveSmallIntegerField(_("år"))
    has_form = models.BooleanField(
        _("skema kendt"),
        default=True,
        help_text=_("Der findes en redegørelsesblanket for året; ellers registreres kun tilskud."),
    )
    form_source = models.ForeignKey(
        "SourceDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skemaets kilde"),
        help_text=_(
            "Dokumentet, skemaets tekster og rækker er efterprøvet mod; tom: ikke efterprøvet."
        ),
    )
    form_title = models.CharField(_("skemaets titel"), max_length=200, blank=True)
    table1_title = models.CharField(_("titel på tabel 1"), max_length=200, blank=True)
    table2_title = models.CharField(_("titel på tabel 2"), max_length=200, blank=True)
    table1_note = models.TextField(_("note til tabel 1"), blank=True)
    table2_note = models.TextField(_("note til tabel 2"), blank=True)
    box1_title = models.CharField(_("titel på boks 1"), max_length=300, blank=True)
    box2_title = models.CharField(_("titel på boks 2"), max_length=200, blank=True)
    box2_text = models.TextField(_("tekst i boks 2"), blank=True)
    deadline = models.DateField(
        _("frist"),
        null=True,
        blank=True,
        help_text=_("Hvornår redegørelsen for året skal være indsendt."),
    )

    class Meta:
        ordering = ["programme__first_year", "year"]
        verbose_name = _("tilskudsår")
        verbose_name_plural = _("tilskudsår")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year"],
                name="grant_year_one_per_programme",
                violation_error_message=_("Puljen har allerede dette år."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme.name} {self.year}"

    @property
    def form_verified(self) -> bool:
        return self.has_form and self.form_source_id is not None

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        """Is the deadline past (so an unsubmitted statement of the year is late)?"""
        today = today or timezone.localdate()
        return self.deadline is not None and self.deadline < today


class FormRow(models.Model):
    class Table(models.IntegerChoices):
        AREAS = 1, _("Tabel 1")
        EXPENSES = 2, _("Tabel 2")

    class Kind(models.TextChoices):
        NORMAL = "normal", _("Almindelig række")
        OTHER = "andet", _("'Andet' (skal specificeres, når den bruges)")
        PURCHASES = "anskaffelser", _("'Anskaffelser' (specificeres, hvis relevant)")
        ADMINISTRATION = "administration", _("Værdighedspolitik og administration")

    grant_year = models.ForeignKey(GrantYear, on_delete=models.CASCADE, related_name="rows")
    table = models.PositiveSmallIntegerField(_("tabel"), choices=Table.choices)
    position = models.PositiveSmallIntegerField(_("placering"))
    code = models.SlugField(
        _("kode"), help_text=_("Stabil nøgle på tværs af år, fx 'livskvalitet'.")
    )
    label = models.CharField(_("tekst"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.NORMAL)
    focus_area = models.ForeignKey(
        FocusArea, on_delete=models.PROTECT, null=True, blank=True, related_name="form_rows"
    )

    class Meta:
        ordering = ["grant_year", "table", "position"]
        verbose_name = _("skemarække")
        verbose_name_plural = _("skemarækker")
        constraints = [
            models.UniqueConstraint(
                fields=["grant_year", "table", "position"],
                name="form_row_unique_position",
                violation_error_message=_("To rækker i samme tabel har samme placering."),
            ),
            models.UniqueConstraint(
                fields=["grant_year", "table", "code"],
                name="form_row_unique_code",
                violation_error_message=_("To rækker i samme tabel har samme kode."),
            ),
            models.UniqueConstraint(
                fields=["grant_year", "table", "label"],
                name="form_row_unique_label",
                violation_error_message=_("To rækker i samme tabel har samme tekst."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_table_display()} – {self.label}"

    @property
    def qualified_label(self) -> str:
        """The one way a row is named outside its table: "Tabel 1 – Livskvalitet"."""
        return f"{self.get_table_display()} – {self.label}"

    @property
    def form_label(self) -> str:
        """The row as the ministry's form prints it: 'Andet (…)' (the specification goes where
        the dots are, on the page; in the workbook it has its own column)."""
        return f"{self.label} (…)" if self.is_other else self.label

    @property
    def accounts_label(self) -> str:
        """The row's actual amount in the accounts: "Regnskab, Tabel 1 – Livskvalitet"."""
        return _("Regnskab, %(row)s") % {"row": self.qualified_label}

    @property
    def is_other(self) -> bool:
        return self.kind == self.Kind.OTHER

    @property
    def is_purchases(self) -> bool:
        return self.kind == self.Kind.PURCHASES

    @property
    def is_administration(self) -> bool:
        return self.kind == self.Kind.ADMINISTRATION

    @property
    def takes_specification(self) -> bool:
        return self.kind in (self.Kind.OTHER, self.Kind.PURCHASES)


class Grant(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="grants")
    grant_year = models.ForeignKey(GrantYear, on_delete=models.PROTECT, related_name="grants")
    amount = KronerField(_("tilskud"))
    source = models.ForeignKey(
        "SourceDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kilde"),
        help_text=_("Hvor beløbet stammer fra; tomt: registreret af kommunen."),
    )

    class Meta:
        ordering = ["grant_year__year", "municipality__name"]
        verbose_name = _("tilskud")
        verbose_name_plural = _("tilskud")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "grant_year"],
                name="grant_one_per_municipality_year",
                violation_error_message=_("Kommunen har allerede et tilskud for dette år."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="grant_amount_not_negative",
                violation_error_message=_("Tilskuddet må ikke være negativt."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality.name} {self.grant_year}"


class Statement(models.Model):
    """The filled-in ministry form (redegørelse) for one grant, and its accounts (regnskab)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Kladde")
        SUBMITTED = "submitted", _("Indsendt")

    class AccountsStatus(models.TextChoices):
        NONE = "", _("Ikke påbegyndt")
        DRAFT = "draft", _("Kladde")
        APPROVED = "approved", _("Godkendt")

    grant = models.OneToOneField(Grant, on_delete=models.PROTECT, related_name="statement")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    box1 = models.TextField(_("Boks 1"), blank=True)
    box2_confirmed = models.BooleanField(_("Boks 2 bekræftet"), default=False)
    # Loaded statements: the document they come from, and whether Boks 1 is our own summary of
    # the municipality's text (the seed's Boks 1 texts are) rather than its words.
    source = models.ForeignKey(
        "SourceDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kilde"),
    )
    box1_is_summary = models.BooleanField(_("Boks 1 er vores sammenfatning"), default=False)
    # None for a submitted statement loaded from a source that gives no date: "ukendt".
    submitted_at = models.DateTimeField(_("indsendt"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The accounts (regnskab): what was actually spent, entered after submission.
    accounts_status = models.CharField(
        _("regnskabets status"),
        max_length=20,
        choices=AccountsStatus.choices,
        default=AccountsStatus.NONE,
        blank=True,
    )
    accounts_approved_at = models.DateTimeField(_("regnskab godkendt"), null=True, blank=True)
    accounts_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who last entered actual amounts: the accounts are approved by someone else (four eyes).
    accounts_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("regnskab sidst indtastet af"),
    )
    # Bumped by every write, to the statement or its accounts; a save carries the version it
    # started from (no lost update).
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["grant__grant_year__year", "grant__municipality__name"]
        verbose_name = _("redegørelse")
        verbose_name_plural = _("redegørelser")

    def __str__(self) -> str:
        return str(self.grant)

    def get_absolute_url(self) -> str:
        return self.url()

    @property
    def url_args(self) -> tuple[str, str, int]:
        """(municipality code, programme slug, year): what every statement URL is made of."""
        grant_year = self.grant.grant_year
        return (self.grant.municipality.code, grant_year.programme.slug, grant_year.year)

    def url(self, name: str = "statement") -> str:
        """The URL of this statement's page `name` ("statement", "statement_edit", …)."""
        return reverse(f"grants:{name}", args=self.url_args)

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def accounts_approved(self) -> bool:
        return self.accounts_status == self.AccountsStatus.APPROVED

    @property
    def municipality(self) -> Municipality:
        return self.grant.municipality

    @property
    def year(self) -> int:
        return self.grant.grant_year.year


class AllocationLine(models.Model):
    """One row of Tabel 1 or Tabel 2 of a statement. amount None means not filled in yet."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    row = models.ForeignKey(FormRow, on_delete=models.PROTECT, related_name="lines")
    amount = KronerField(_("beløb"), null=True, blank=True)
    specification = models.CharField(_("specifikation"), max_length=500, blank=True)
    actual = KronerField(_("regnskab"), null=True, blank=True)

    class Meta:
        ordering = ["row__table", "row__position"]
        verbose_name = _("fordelingslinje")
        verbose_name_plural = _("fordelingslinjer")
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "row"],
                name="allocation_one_line_per_row",
                violation_error_message=_("Redegørelsen har allerede en linje for denne række."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(amount__isnull=True),
                name="allocation_amount_not_negative",
                violation_error_message=_("Beløbet må ikke være negativt."),
            ),
            models.CheckConstraint(
                condition=Q(actual__gte=0) | Q(actual__isnull=True),
                name="allocation_actual_not_negative",
                violation_error_message=_("Regnskabsbeløbet må ikke være negativt."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement} · {self.row}"


class SourceDocument(models.Model):
    """A document figures were taken from (the seeds, or a municipality's own upload)."""

    key = models.CharField(_("nøgle"), max_length=20, unique=True)
    title = models.CharField(_("titel"), max_length=300)
    publisher = models.CharField(_("udgiver"), max_length=200, blank=True)
    published = models.CharField(_("dato"), max_length=50, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("kildedokument")
        verbose_name_plural = _("kildedokumenter")

    def __str__(self) -> str:
        return self.title


class Initiative(models.Model):
    key = models.SlugField(_("nøgle"), max_length=120, unique=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="initiatives"
    )
    title = models.CharField(_("titel"), max_length=300)
    description = models.TextField(_("beskrivelse"), blank=True)
    effect = models.TextField(_("målt effekt"), blank=True)
    focus_area = models.ForeignKey(
        FocusArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="initiatives",
        verbose_name=_("fokusområde"),
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="initiatives",
        verbose_name=_("pulje"),
    )
    source = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="initiatives",
        verbose_name=_("kildedokument"),
    )
    form_row_code = models.SlugField(
        _("række i tabel 1"),
        blank=True,
        help_text=_(
            "Den række i tabel 1, indsatsen hører under, når den ikke følger af fokusområdet "
            "(rækkens kode, fx 'livskvalitet')."
        ),
    )

    class Meta:
        ordering = ["municipality__name", "title"]
        verbose_name = _("indsats")
        verbose_name_plural = _("indsatser")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("committee:initiative", args=[self.pk])

    def amount_in(self, year: int) -> "InitiativeAmount | None":
        """The row that gives the initiative's money in `year`: the year's own, or an earlier
        "og fremover" amount while its pool still runs (an onward pool amount does not carry
        into the years the pool's money is part of the block grant). None: unknown. Reads the
        prefetched `amounts` and `programme`."""
        rows = sorted(self.amounts.all(), key=lambda a: a.year)
        own = next((a for a in rows if a.year == year), None)
        if own is not None:
            return own
        onward = next((a for a in reversed(rows) if a.onward and a.year < year), None)
        if onward is None:
            return None
        pool_over = self.programme is not None and self.programme.in_block_grant(year)
        if pool_over and onward.funding != InitiativeAmount.Funding.OWN_BUDGET:
            return None
        return onward


class InitiativeAmount(models.Model):
    """What is known of an initiative in a year: its budget and actual spending (each optional:
    unknown is not 0), where the money came from, and the document that says so. A year with no
    row is unknown."""

    class Funding(models.TextChoices):
        UNKNOWN = "", _("ukendt")
        POOL = "pool", _("Puljen")
        OWN_BUDGET = "own", _("Kommunens eget budget")

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="amounts")
    year = models.PositiveSmallIntegerField(_("år"))
    amount = KronerField(_("budgetteret beløb"), null=True, blank=True)
    actual = KronerField(_("faktisk forbrug"), null=True, blank=True)
    onward = models.BooleanField(
        _("og fremover"), default=False, help_text=_("Beløbet gælder også de følgende år.")
    )
    funding = models.CharField(
        _("finansiering"), max_length=10, choices=Funding.choices, default="", blank=True
    )
    source = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kilde"),
    )
    note = models.TextField(
        _("note om kilden"),
        blank=True,
        help_text=_("Fx når kilden selv angiver to forskellige beløb."),
    )

    class Meta:
        ordering = ["year"]
        verbose_name = _("beløb for indsats")
        verbose_name_plural = _("beløb for indsats")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "year"],
                name="initiative_amount_one_per_year",
                violation_error_message=_("Indsatsen har allerede et beløb for dette år."),
            ),
            models.CheckConstraint(
                condition=(Q(amount__gte=0) | Q(amount__isnull=True))
                & (Q(actual__gte=0) | Q(actual__isnull=True)),
                name="initiative_amount_not_negative",
                violation_error_message=_("Beløbet må ikke være negativt."),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=False) | Q(actual__isnull=False) | ~Q(funding=""),
                name="initiative_amount_known",
                violation_error_message=_(
                    "Angiv et budgetteret beløb, et faktisk forbrug eller finansieringen."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative} {self.year}"

    @property
    def difference(self) -> int | None:
        """Actual minus budget, when both are known."""
        if self.amount is None or self.actual is None:
            return None
        return self.actual - self.amount

    @property
    def year_label(self) -> str:
        return _("%(year)s og fremover") % {"year": self.year} if self.onward else str(self.year)


class StatementStep(models.Model):
    """What happens to a statement after it is submitted, in order: the municipal council
    approves it, it is sent to the ministry, it is published on the municipality's site (and
    then in the product's public pages). Each step is recorded once by the municipality's
    finance staff (who and when), and corrected only by reopening it with a reason
    (grants.services)."""

    class Kind(models.TextChoices):
        COUNCIL_APPROVAL = "council_approval", _("Godkendt af kommunalbestyrelsen")
        SENT = "sent", _("Sendt til ministeriet")
        PUBLISHED = "published", _("Offentliggjort")

    ORDER = (Kind.COUNCIL_APPROVAL, Kind.SENT, Kind.PUBLISHED)

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("trin"), max_length=20, choices=Kind.choices)
    # None only for a step loaded from a source that gives no date: shown as "ukendt".
    date = models.DateField(_("dato"), null=True, blank=True)
    body = models.CharField(
        _("organ"), max_length=100, blank=True, help_text=_("Fx Kommunalbestyrelsen eller Byrådet.")
    )
    reference = models.CharField(
        _("henvisning"),
        max_length=300,
        blank=True,
        help_text=_("Mødet eller dagsordenspunktet; journalnummeret; adressen på kommunens side."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("registreret"), default=timezone.now)

    class Meta:
        ordering = ["statement", "date", "id"]
        verbose_name = _("trin")
        verbose_name_plural = _("trin")
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "kind"],
                name="statement_step_once",
                violation_error_message=_("Trinnet er allerede registreret."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.statement} · {self.get_kind_display()}"


class Membership(models.Model):
    """What a user may do: finance staff edit their own municipality; committee members read,
    and one who belongs to a municipality also reads its drafts; superusers are administrators.
    See grants/permissions.py for the rules themselves."""

    class Role(models.TextChoices):
        FINANCE = "finance", _("Økonomimedarbejder")
        READER = "reader", _("Udvalgsmedlem (læseadgang)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    role = models.CharField(_("rolle"), max_length=20, choices=Role.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )

    class Meta:
        verbose_name = _("rolle")
        verbose_name_plural = _("roller")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="finance") | Q(municipality__isnull=False),
                name="membership_finance_has_municipality",
                violation_error_message=_("En økonomimedarbejder skal høre til en kommune."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class AuditEvent(models.Model):
    """One save or state change, as Zulip's RealmAuditLog records one: who, when, which action,
    on which object, and the field-level changes it made (AuditChange). Written only by
    grants.services; never edited. Its text is rendered when it is read, in the reader's language
    (grants.audit), from stable references: codes, form rows and integer amounts."""

    class Action(models.TextChoices):
        CREATE = "create", _("Oprettet")
        UPDATE = "update", _("Gemt")
        IMPORT = "import", _("Indlæst fra regneark")
        SEED = "seed", _("Indlæst fra kildedokument")
        SUBMIT = "submit", _("Indsendt")
        REOPEN = "reopen", _("Genåbnet")
        COUNCIL_APPROVAL = "council_approval", _("Godkendt af kommunalbestyrelsen")
        SENT = "sent", _("Sendt til ministeriet")
        PUBLISHED = "published", _("Offentliggjort")
        STEP_REOPEN = "step_reopen", _("Trin genåbnet")
        ACCOUNTS_UPDATE = "accounts_update", _("Regnskab gemt")
        ACCOUNTS_APPROVE = "accounts_approve", _("Regnskab godkendt")
        ACCOUNTS_REOPEN = "accounts_reopen", _("Regnskab genåbnet")
        GRANT_CORRECTION = "grant_correction", _("Tilskud rettet efter ministeriets tabel")

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    grant = models.ForeignKey(
        Grant, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("tidspunkt"), default=timezone.now, db_index=True)
    action = models.CharField(_("handling"), max_length=30, choices=Action.choices)
    reason = models.TextField(_("begrundelse"), blank=True)  # the user's words (reopening)
    filename = models.CharField(_("fil"), max_length=200, blank=True)  # an imported workbook
    source = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kildedokument"),
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("historikpost")
        verbose_name_plural = _("historik")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class AuditChange(models.Model):
    """One field changed by an AuditEvent: the field's stable code, the form row it concerns (or
    the year, for an initiative's amounts), and before and after, as integers for amounts and as
    codes or the user's text otherwise. None is unknown (never 0)."""

    class Field(models.TextChoices):
        GRANT = "grant", _("Tilskud")
        AMOUNT = "amount", _("Beløb")
        SPECIFICATION = "specification", _("Specifikation")
        ACTUAL = "actual", _("Regnskab")
        BOX1 = "box1", _("Boks 1")
        BOX2 = "box2", _("Boks 2")
        STATUS = "status", _("Status")
        ACCOUNTS_STATUS = "accounts_status", _("Regnskabets status")
        UNSPENT = "unspent", _("Mindreforbrug (negativt: merforbrug)")
        TITLE = "title", _("Titel")
        DESCRIPTION = "description", _("Beskrivelse")
        EFFECT = "effect", _("Målt effekt")
        FOCUS_AREA = "focus_area", _("Fokusområde")
        PROGRAMME = "programme", _("Pulje")
        BUDGET = "budget", _("Budget")
        SPENT = "spent", _("Faktisk forbrug")
        STEP = "step", _("Trin")
        STEP_DATE = "step_date", _("Dato")
        STEP_BODY = "step_body", _("Organ")
        STEP_REFERENCE = "step_reference", _("Henvisning")
        LEGACY = "legacy", _("Ældre post")

    event = models.ForeignKey(AuditEvent, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("felt"), max_length=30, choices=Field.choices)
    row = models.ForeignKey(
        FormRow, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("år"), null=True, blank=True)
    before_amount = models.BigIntegerField(_("beløb før"), null=True, blank=True)
    after_amount = models.BigIntegerField(_("beløb efter"), null=True, blank=True)
    before_text = models.TextField(_("før"), blank=True)
    after_text = models.TextField(_("efter"), blank=True)
    # Only for entries recorded before the trail was machine-readable: their label as written.
    legacy_label = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("ændring")
        verbose_name_plural = _("ændringer")

    def __str__(self) -> str:
        return f"{self.label}: {self.before_display} → {self.after_display}"

    AMOUNT_FIELDS = (Field.GRANT, Field.AMOUNT, Field.ACTUAL, Field.UNSPENT)
    YEAR_FIELDS = (Field.BUDGET, Field.SPENT)
    ONWARD = "onward"  # after_text of a BUDGET change whose amount holds for the following years

    @property
    def label(self) -> str:
        """What changed, in the reader's language (the form's row labels are data, Danish)."""
        if self.field == self.Field.AMOUNT:
            return self.row.qualified_label
        if self.field == self.Field.SPECIFICATION:
            return _("%(row)s: specifikation") % {"row": self.row.qualified_label}
        if self.field == self.Field.ACTUAL:
            return self.row.accounts_label
        if self.field in self.YEAR_FIELDS:
            return f"{self.get_field_display()} {self.year}"
        if self.field == self.Field.LEGACY:
            return self.legacy_label
        return str(self.get_field_display())

    @property
    def is_amount(self) -> bool:
        return self.field in self.AMOUNT_FIELDS or self.field in self.YEAR_FIELDS

    @property
    def is_long_text(self) -> bool:
        return self.field in (self.Field.BOX1, self.Field.DESCRIPTION, self.Field.EFFECT)

    def _display(self, amount: int | None, text: str) -> str:
        field = self.field
        if field in self.AMOUNT_FIELDS:
            return format_kroner(amount, empty="–")
        if field in self.YEAR_FIELDS:
            if amount is None:
                return str(_("ukendt"))
            shown = format_kroner(amount, unit=True)
            return f"{shown} {_('og fremover')}" if text == self.ONWARD else shown
        if field == self.Field.BOX2:
            return str(_("Ja") if text == "yes" else _("Nej"))
        if field == self.Field.STATUS:
            return str(Statement.Status(text).label) if text else "–"
        if field == self.Field.ACCOUNTS_STATUS:
            return str(Statement.AccountsStatus(text).label)
        if field == self.Field.STEP and text:
            return str(StatementStep.Kind(text).label)
        if field == self.Field.STEP_DATE and text:
            return date_format(datetime.date.fromisoformat(text), "DATE_FORMAT")
        if field == self.Field.FOCUS_AREA and text:
            return str(FocusArea.objects.filter(slug=text).first() or text)
        if field == self.Field.PROGRAMME and text:
            return getattr(Programme.objects.filter(slug=text).first(), "name", text)
        return text

    @property
    def before_display(self) -> str:
        return self._display(self.before_amount, self.before_text)

    @property
    def after_display(self) -> str:
        return self._display(self.after_amount, self.after_text)


class DataVersion(models.Model):
    """One row whose value the database advances in the same transaction as every write to the
    product's data (triggers installed by grants.dbtriggers, so every path counts: the services,
    the admin's single and bulk actions, the seed and import commands, raw SQL). Cached pages are
    keyed by it (grants.cache): a page cached under an older value is never served again, on any
    worker or host that shares the database."""

    value = models.BigIntegerField()

    class Meta:
        verbose_name = _("dataversion")
        verbose_name_plural = _("dataversion")

    def __str__(self) -> str:
        return str(self.value)
