from django.apps import AppConfig


class CommitteeConfig(AppConfig):
    """The read side: what committee members read across statements, initiatives and budget
    proposals. No models of its own; it reads grants and budgets, and nothing imports it but the
    project's URLs."""

    name = "committee"
    verbose_name = "Udvalgets sider"
