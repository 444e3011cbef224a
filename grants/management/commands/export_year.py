from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grants.exports import year_workbook
from grants.models import DEFAULT_PROGRAMME, GrantYear


class Command(BaseCommand):
    help = (
        "Write every statement of a programme's year in one workbook: "
        "export_year <year> [--programme SLUG] -o FILE"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--programme", default=DEFAULT_PROGRAMME, help="Puljen (standard: vaerdighed)"
        )
        parser.add_argument("-o", "--output", required=True)

    def handle(
        self, *args: object, year: int, programme: str, output: str, **options: object
    ) -> None:
        grant_year = GrantYear.objects.filter(programme__slug=programme, year=year).first()
        if grant_year is None:
            raise CommandError(f"{year} er ikke et tilskudsår under puljen '{programme}'.")
        Path(output).write_bytes(year_workbook(grant_year))
        self.stdout.write(self.style.SUCCESS(f"Skrev {output}"))
