from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from grants.imports import WorkbookRefused, parse_statement_workbook
from grants.models import Statement
from grants.permissions import statement_queryset
from grants.services import StatementError, check_import, import_statement


class Command(BaseCommand):
    help = (
        "Import a filled statement workbook as a draft: import_statement FILE [--dry-run]. "
        "The statement is the one the file's Kommune and year name."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Vis ændringerne; gem intet.")
        parser.add_argument("--user", help="Brugernavn, ændringerne registreres på (historik).")

    def handle(self, *args, file: str, dry_run: bool, user: str | None, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Filen {file} findes ikke.")
        acting_user = None
        if user:
            acting_user = get_user_model().objects.filter(username=user).first()
            if acting_user is None:
                raise CommandError(f"Brugeren {user} findes ikke.")
        try:
            parsed = parse_statement_workbook(path.read_bytes())
        except WorkbookRefused as error:
            raise CommandError(f"{path.name}: {error}") from None
        try:
            statement = statement_queryset().get(
                grant__municipality=parsed.municipality, grant__grant_year=parsed.grant_year
            )
        except Statement.DoesNotExist:
            raise CommandError(
                f"{parsed.municipality.full_name} har ingen redegørelse "
                f"for {parsed.grant_year.year}."
            ) from None
        label = f"{parsed.municipality.full_name} {parsed.grant_year.year}"
        try:
            changes = check_import(statement=statement, parsed=parsed)
        except StatementError as error:
            raise CommandError(f"{label}: {error}") from None
        for change in changes:
            before, after = change.before_display or "–", change.after_display or "–"
            self.stdout.write(f"  {change.label}: {before} -> {after}")
        if dry_run:
            self.stdout.write(f"{label}: {len(changes)} ændringer (prøvekørsel, intet gemt).")
            return
        try:
            entries = import_statement(
                statement=statement,
                parsed=parsed,
                acting_user=acting_user,
                filename=path.name,
                expected_version=statement.version,
            )
        except StatementError as error:
            raise CommandError(f"{label}: {error}") from None
        self.stdout.write(self.style.SUCCESS(f"{label}: {len(entries)} ændringer gemt som kladde."))
