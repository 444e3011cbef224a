from django.apps import AppConfig


class PublicConfig(AppConfig):
    """What the public reads without logging in: published statements and their open data. No
    models of its own; it reads grants, and nothing imports it but the project's URLs."""

    name = "public"
    verbose_name = "Offentlige redegørelser"
