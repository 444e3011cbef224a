import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.models import (
    DEFAULT_PROGRAMME,
    FormRow,
    GrantYear,
    Initiative,
    Municipality,
    Programme,
    SourceDocument,
    Statement,
    StatementStep,
)
from grants.money import AmountFormField, format_kroner
from grants.rules import (
    AccountsFigures,
    AccountsRow,
    RowFigure,
    StatementFigures,
    compute_accounts,
    compute_figures,
)
from grants.services import StatementValues, YearAmounts, clean_text
from grants.text import control_character_error

BOX1_MAX = 32_767  # what one spreadsheet cell holds: Boks 1 must survive the round trip


class TextChecks:
    """Every text field of the form refuses control characters (grants.text), naming the field:
    they are invisible here, and no worksheet or XML export can hold them."""

    def clean(self) -> dict:
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str) and (problem := control_character_error(value)):
                self.add_error(name, f"{self.fields[name].label}: {problem}")
        return data


class StatementForm(TextChecks, forms.Form):
    """The entry form: the grant, both tables' rows, Boks 1 and Boks 2, and the version the
    user started from (rule 4: no silent overwrite)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    grant = AmountFormField(label=gettext_lazy("Tilskud"), required=True)
    box1 = forms.CharField(
        label=gettext_lazy("Boks 1"),
        required=False,
        max_length=BOX1_MAX,
        widget=forms.Textarea(attrs={"rows": 18}),
    )
    box2_confirmed = forms.BooleanField(required=False)

    def __init__(self, statement: Statement, *args, **kwargs) -> None:
        self.statement = statement
        self.rows: list[FormRow] = [line.row for line in statement.lines.all()]
        lines = {line.row_id: line for line in statement.lines.all()}
        kwargs.setdefault(
            "initial",
            {
                "version": statement.version,
                "grant": format_kroner(statement.grant.amount, danish=True),
                "box1": statement.box1,
                "box2_confirmed": statement.box2_confirmed,
                **{
                    f"amount-{pk}": format_kroner(line.amount, danish=True)
                    for pk, line in lines.items()
                },
                **{f"spec-{pk}": line.specification for pk, line in lines.items()},
            },
        )
        super().__init__(*args, **kwargs)
        grant_year = statement.grant.grant_year
        self.fields["box1"].label = grant_year.box1_title
        self.fields["box2_confirmed"].label = grant_year.box2_text
        for row in self.rows:
            # The accessible name is the table and the row: "Tabel 1 – Livskvalitet".
            self.fields[f"amount-{row.pk}"] = AmountFormField(
                label=row.qualified_label, required=False
            )
            self.fields[f"amount-{row.pk}"].widget.attrs["data-table"] = row.table
            if row.takes_specification:
                self.fields[f"spec-{row.pk}"] = forms.CharField(
                    label=_("%(row)s: specifikation") % {"row": row.qualified_label},
                    required=False,
                    max_length=500,
                )

    def amount_field(self, row: FormRow):
        return self[f"amount-{row.pk}"]

    def spec_field(self, row: FormRow):
        return self[f"spec-{row.pk}"] if row.takes_specification else None

    def entry_row(self, row: FormRow) -> dict:
        """One row of the entry form as plain values for its template: the page renders 12 such
        rows, and plain values cost the template a fraction of a BoundField's lookups."""
        amount, spec = self.amount_field(row), self.spec_field(row)

        def plain(field) -> dict:
            value = field.value()
            return {
                "id": field.auto_id,
                "name": field.html_name,
                "value": "" if value is None else value,
                "label": field.label,
                "errors": field.errors,
            }

        return {"row": row, "amount": plain(amount), "spec": plain(spec) if spec else None}

    def values(self) -> StatementValues:
        data = self.cleaned_data
        return StatementValues(
            amounts={row.pk: data.get(f"amount-{row.pk}") for row in self.rows},
            specifications={
                row.pk: data.get(f"spec-{row.pk}", "")
                for row in self.rows
                if row.takes_specification
            },
            box1=data.get("box1", ""),
            box2_confirmed=data.get("box2_confirmed", False),
            grant=data.get("grant"),
        )

    def figures(self) -> StatementFigures:
        """The rules applied to what was typed (valid fields only), for instant feedback."""
        data = getattr(self, "cleaned_data", {})
        grant = data.get("grant", self.statement.grant.amount)
        return compute_figures(
            grant=grant if grant is not None else self.statement.grant.amount,
            rows=[
                RowFigure(row, data.get(f"amount-{row.pk}"), data.get(f"spec-{row.pk}") or "")
                for row in self.rows
            ],
            box2_confirmed=bool(data.get("box2_confirmed")),
            box1=data.get("box1") or "",
        )


class GrantForm(forms.Form):
    """Register a municipality's grant for a year that has none yet."""

    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.all(), label=gettext_lazy("Kommune"), to_field_name="code"
    )
    grant_year = forms.ModelChoiceField(
        queryset=GrantYear.objects.none(), label=gettext_lazy("Pulje og år")
    )
    amount = AmountFormField(label=gettext_lazy("Tilskud (kr.)"))

    def __init__(self, *args, municipality: Municipality | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_municipality = municipality
        if municipality is not None:
            del self.fields["municipality"]
            self.fields["grant_year"].queryset = GrantYear.objects.exclude(
                grants__municipality=municipality
            ).select_related("programme")
        else:
            self.fields["grant_year"].queryset = GrantYear.objects.select_related("programme")
        # "Værdighedsmilliarden 2019": programme and year, so years of two pools are told apart.
        self.fields["grant_year"].label_from_instance = str

    def clean(self):
        data = super().clean()
        municipality = self.fixed_municipality or data.get("municipality")
        year = data.get("grant_year")
        if municipality and year and year.grants.filter(municipality=municipality).exists():
            raise forms.ValidationError(_("Kommunen har allerede et tilskud for dette år."))
        data["municipality"] = municipality
        return data


class GrantTableForm(forms.Form):
    """Upload the ministry's grant table (grants.grant_table) for a programme."""

    file = forms.FileField(label=gettext_lazy("Tilskudstabel (.xlsx eller .csv, højst 2 MB)"))
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.all(),
        label=gettext_lazy("Pulje"),
        to_field_name="slug",
        initial=DEFAULT_PROGRAMME,
        empty_label=None,
    )
    source_title = forms.CharField(
        label=gettext_lazy("Kildens titel"),
        required=False,
        max_length=SourceDocument._meta.get_field("title").max_length,
        help_text=gettext_lazy("Tom: tabellens 'Kilde:'-note eller filens navn."),
    )

    def clean_source_title(self) -> str:
        title = clean_text(self.cleaned_data["source_title"])
        problem = control_character_error(title)
        if problem:
            raise forms.ValidationError(problem)
        return title


class InitiativeForm(TextChecks, forms.ModelForm):
    class Meta:
        model = Initiative
        fields = ["title", "description", "effect", "focus_area", "programme"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "effect": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        known = {a.year: a for a in self.instance.amounts.all()} if self.instance.pk else {}
        # The years an amount may belong to: every programme's years, and any year already known.
        self.years = sorted(set(Programme.all_years()) | set(known))
        for year in self.years:
            known_year = known.get(year)
            self.fields[f"amount-{year}"] = AmountFormField(
                label=_("Budget %(year)s (kr.)") % {"year": year},
                required=False,
                initial=format_kroner(known_year.amount, danish=True) if known_year else "",
            )
            self.fields[f"actual-{year}"] = AmountFormField(
                label=_("Faktisk forbrug %(year)s (kr.)") % {"year": year},
                required=False,
                initial=format_kroner(known_year.actual, danish=True) if known_year else "",
            )
            self.fields[f"onward-{year}"] = forms.BooleanField(
                label=_("Budget %(year)s og fremover") % {"year": year},
                required=False,
                initial=bool(known_year and known_year.onward),
            )

    def amount_rows(self):
        return [
            (year, self[f"amount-{year}"], self[f"actual-{year}"], self[f"onward-{year}"])
            for year in self.years
        ]

    def amounts(self) -> dict[int, YearAmounts]:
        data = self.cleaned_data
        return {
            year: YearAmounts(
                data.get(f"amount-{year}"),
                data.get(f"actual-{year}"),
                bool(data.get(f"onward-{year}")) and data.get(f"amount-{year}") is not None,
            )
            for year in self.years
        }


class ReopenForm(TextChecks, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Begrundelse for genåbning"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AccountsForm(forms.Form):
    """The accounts: one actual amount per form row, and the version the user started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, statement: Statement, *args, **kwargs) -> None:
        self.statement = statement
        self.lines = list(statement.lines.all())
        kwargs.setdefault(
            "initial",
            {"version": statement.version}
            | {
                f"actual-{line.row_id}": format_kroner(line.actual, danish=True)
                for line in self.lines
            },
        )
        super().__init__(*args, **kwargs)
        for line in self.lines:
            # The accessible name: "Regnskab, Tabel 1 – Livskvalitet".
            self.fields[f"actual-{line.row_id}"] = AmountFormField(
                label=line.row.accounts_label, required=False
            )

    def actual_field(self, row: FormRow):
        return self[f"actual-{row.pk}"]

    def actuals(self) -> dict[int, int | None]:
        return {line.row_id: self.cleaned_data.get(f"actual-{line.row_id}") for line in self.lines}

    def figures(self) -> AccountsFigures:
        data = getattr(self, "cleaned_data", {})
        return compute_accounts(
            grant=self.statement.grant.amount,
            rows=[
                AccountsRow(line.row, line.amount, data.get(f"actual-{line.row_id}"))
                for line in self.lines
            ],
        )


class ConfirmForm(forms.Form):
    """The review page's confirmation: the version the user reviewed (rule 4)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class StepForm(TextChecks, forms.Form):
    """A step after submission: when it happened, and for the council's approval which body
    and meeting; for the sending the ministry's journal number; for the publication where."""

    date = forms.DateField(
        label=gettext_lazy("Dato"), widget=forms.DateInput(attrs={"type": "date"})
    )
    body = forms.CharField(label=gettext_lazy("Organ"), max_length=100, required=False)
    reference = forms.CharField(label=gettext_lazy("Henvisning"), max_length=300, required=False)

    def __init__(self, kind: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == StatementStep.Kind.COUNCIL_APPROVAL:
            self.fields["date"].label = _("Mødedato")
            self.fields["body"].required = True
            self.fields["body"].help_text = _("Fx Kommunalbestyrelsen eller Byrådet.")
            self.fields["reference"].label = _("Møde eller dagsordenspunkt")
        else:
            del self.fields["body"]
            if kind == StatementStep.Kind.SENT:
                self.fields["date"].label = _("Sendt den")
                self.fields["reference"].label = _("Journalnummer (hvis der er et)")
            else:
                self.fields["date"].label = _("Offentliggjort den")
                self.fields["reference"].label = _("Adresse på kommunens hjemmeside")

    def clean_date(self) -> datetime.date:
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("Datoen ligger i fremtiden."))
        return date
