from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grants.exports import statement_workbook
from grants.models import Statement
from grants.permissions import statement_queryset
from grants.rules import accounts_figures, statement_figures


class Command(BaseCommand):
    help = "Write a statement as the ministry's spreadsheet: export_statement <code> <year> -o FILE"

    def add_arguments(self, parser) -> None:
        parser.add_argument("code", help="Kommunekode, fx 173")
        parser.add_argument("year", type=int)
        parser.add_argument("-o", "--output", required=True, help="Filen der skrives (.xlsx)")

    def handle(self, *args, code: str, year: int, output: str, **options) -> None:
        try:
            statement = statement_queryset().get(
                grant__municipality__code=code, grant__grant_year__year=year
            )
        except Statement.DoesNotExist:
            raise CommandError(
                f"Der findes ingen redegørelse for kommune {code} i {year}."
            ) from None
        Path(output).write_bytes(
            statement_workbook(statement, statement_figures(statement), accounts_figures(statement))
        )
        self.stdout.write(self.style.SUCCESS(f"Skrev {output}"))
