from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = "Tilskud og redegørelser"

    def ready(self) -> None:
        from grants import checks  # noqa: F401 - registers the system checks
