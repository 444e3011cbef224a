from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grants.grant_table import GrantTableRefused, read_grant_table
from grants.models import DEFAULT_PROGRAMME, Programme
from grants.money import format_kroner
from grants.services import (
    GrantTableEntry,
    GrantTablePlan,
    StatementError,
    apply_grant_table,
    check_grant_table,
    plan_grant_table,
)


class Command(BaseCommand):
    help = (
        "Register or correct a programme's grants from the ministry's grant table (.xlsx or "
        "CSV): import_grants FILE --programme SLUG [--dry-run] [--correct] [--source-title T]."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--programme",
            default=DEFAULT_PROGRAMME,
            help="Puljens kode (slug), fx 'vaerdighed' (standard).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Vis ændringerne; gem intet.")
        parser.add_argument(
            "--correct",
            action="store_true",
            help="Ret også tilskud på indsendte redegørelser (de genåbnes, og det registreres).",
        )
        parser.add_argument(
            "--source-title",
            default="",
            help="Kildens titel (standard: tabellens 'Kilde:'-note eller filens navn).",
        )
        parser.add_argument("--user", help="Brugernavn, ændringerne registreres på (historik).")

    def handle(
        self,
        *args,
        file: str,
        programme: str,
        dry_run: bool,
        correct: bool,
        source_title: str,
        user: str | None,
        **options,
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("Filen %(file)s findes ikke.") % {"file": file})
        pool = Programme.objects.filter(slug=programme).first()
        if pool is None:
            raise CommandError(
                _("Puljen '%(slug)s' findes ikke. Kendte puljer: %(known)s.")
                % {
                    "slug": programme,
                    "known": ", ".join(Programme.objects.values_list("slug", flat=True)),
                }
            )
        acting_user = None
        if user:
            acting_user = get_user_model().objects.filter(username=user).first()
            if acting_user is None:
                raise CommandError(_("Brugeren %(user)s findes ikke.") % {"user": user})
        try:
            table = read_grant_table(path.read_bytes(), filename=path.name, programme=pool)
        except GrantTableRefused as error:
            raise CommandError(self._refusal(path.name, error.errors)) from None
        source = source_title or table.source_note or path.name
        try:
            plan = plan_grant_table(programme=pool, figures=table.figures)
        except StatementError as error:
            raise CommandError(
                self._refusal(path.name, getattr(error, "errors", [str(error)]))
            ) from None
        self._show(plan, table.skipped, source)
        try:
            if dry_run:
                check_grant_table(plan, correct=correct)
            else:
                plan = apply_grant_table(
                    programme=pool,
                    figures=table.figures,
                    acting_user=acting_user,
                    source=source,
                    correct=correct,
                    filename=path.name,
                )
        except StatementError as error:
            errors = getattr(error, "errors", [str(error)])
            if not correct and plan.corrections:
                errors.append(_("Kør igen med --correct for at rette dem."))
            raise CommandError(self._refusal(path.name, errors)) from None
        summary = f"{pool.name}: {plan.summary}"
        if dry_run:
            self.stdout.write(_("%(summary)s Prøvekørsel: intet er gemt.") % {"summary": summary})
        elif plan.new or plan.changed:
            self.stdout.write(self.style.SUCCESS(_("%(summary)s Gemt.") % {"summary": summary}))
        else:
            self.stdout.write(_("%(summary)s Der var intet at ændre.") % {"summary": summary})

    def _refusal(self, name: str, errors: list[str]) -> str:
        heading = _("%(file)s kan ikke indlæses; intet er gemt:") % {"file": name}
        return "\n".join([heading, *(f"  {e}" for e in errors)])

    def _show(self, plan: GrantTablePlan, skipped: list[str], source: str) -> None:
        self.stdout.write(_("Kilde: %(source)s") % {"source": source})
        for note in skipped:
            self.stdout.write(f"  {note}")
        for entry in plan.entries:
            self.stdout.write(f"  {entry.figure.ref}: {entry.label}: {self._change(entry)}")

    def _change(self, entry: GrantTableEntry) -> str:
        after = format_kroner(entry.amount)
        if entry.kind == GrantTableEntry.NEW:
            return _("nyt, %(after)s") % {"after": after}
        if entry.kind == GrantTableEntry.UNCHANGED:
            return _("uændret, %(after)s") % {"after": after}
        text = _("ændret, %(before)s -> %(after)s") % {
            "before": format_kroner(entry.before),
            "after": after,
        }
        if entry.is_correction:
            text += " " + _("(indsendt: rettelse, genåbner redegørelsen)")
        return text
