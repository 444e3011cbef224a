from django.core.management.base import BaseCommand

from bench.synthetic import create_synthetic


class Command(BaseCommand):
    help = (
        "Create the deterministic synthetic national data set (benchmarks, scale tests): all 98 "
        "municipalities x 4*N grant years, submitted balanced statements, 15*N initiatives each. "
        "Marked as synthetic; never loaded by `make run`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", type=int, default=1)

    def handle(self, *args, scale: int, **options) -> None:
        counts = create_synthetic(scale)
        self.stdout.write(self.style.SUCCESS(f"Synthetic data, scale {scale}: {counts}"))
