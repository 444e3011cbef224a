from django.core.management.base import BaseCommand

from budgets.seed import load_seed


class Command(BaseCommand):
    help = "Load the reference and seed data from fixtures/ (idempotent)."

    def handle(self, *args, **options) -> None:
        counts = load_seed()
        summary = ", ".join(f"{name}: {count}" for name, count in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Seed data loaded (objects created or changed: {summary})")
        )
