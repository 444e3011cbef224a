from django.core.management.base import BaseCommand

from bench.synthetic import create_synthetic


class Command(BaseCommand):
    help = "Create the deterministic synthetic national data set at a scale (bench/synthetic.py)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", type=int, default=1)

    def handle(self, *args, scale: int, **options) -> None:
        counts = create_synthetic(scale)
        self.stdout.write(self.style.SUCCESS(f"Synthetic data, scale {scale}: {counts}"))
