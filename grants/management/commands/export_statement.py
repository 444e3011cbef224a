from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grants.exports import statement_workbook
from grants.models import DEFAULT_PROGRAMME, Statement
from grants.permissions import statement_queryset
from grants.rules import accounts_figures, statement_figures


class Command(BaseCommand):
    help = (
        "Write a statement as the ministry's spreadsheet: "
        "export_statement <code> <year> [--programme SLUG] -o FILE"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="Kommunekode, fx 173")
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--programme", default=DEFAULT_PROGRAMME, help="Puljen (standard: vaerdighed)"
        )
        parser.add_argument("-o", "--output", required=True, help="Filen der skrives (.xlsx)")

    def handle(
        self, *args: object, code: str, year: int, programme: str, output: str, **options: object
    ) -> None:
        try:
            statement = statement_queryset().get(
                grant__municipality__code=code,
                grant__grant_year__programme__slug=programme,
                grant__grant_year__year=year,
            )
        except Statement.DoesNotExist:
            raise CommandError(
                f"Der findes ingen redegørelse for kommune {code} i {year} under puljen "
                f"'{programme}'."
            ) from None
        if not statement.grant.grant_year.has_form:
            raise CommandError(
                f"Skemaet for {statement.grant.grant_year} er ikke i kilderne: intet at skrive."
            )
        Path(output).write_bytes(
            statement_workbook(statement, statement_figures(statement), accounts_figures(statement))
        )
        self.stdout.write(self.style.SUCCESS(f"Skrev {output}"))
