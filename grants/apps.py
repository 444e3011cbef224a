from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = "Tilskud og redegørelser"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from grants import checks  # noqa: F401 - registers the system checks
        from grants.dbtriggers import ensure_data_version

        # Database infrastructure, not domain logic: see grants/dbtriggers.py.
        post_migrate.connect(ensure_data_version, sender=self)
