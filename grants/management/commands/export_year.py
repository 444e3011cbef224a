from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grants.exports import year_workbook
from grants.models import GrantYear


class Command(BaseCommand):
    help = "Write every statement of a year in one workbook: export_year <year> -o FILE"

    def add_arguments(self, parser) -> None:
        parser.add_argument("year", type=int)
        parser.add_argument("-o", "--output", required=True)

    def handle(self, *args, year: int, output: str, **options) -> None:
        grant_year = GrantYear.objects.filter(year=year).first()
        if grant_year is None:
            raise CommandError(f"{year} er ikke et tilskudsår.")
        Path(output).write_bytes(year_workbook(grant_year))
        self.stdout.write(self.style.SUCCESS(f"Skrev {output}"))
