from django.core.checks import Error, register


@register()
def defusedxml_installed(app_configs, **kwargs) -> list[Error]:
    """openpyxl defends against XML entity attacks only when defusedxml is importable; we parse
    uploaded workbooks, so start-up fails without it."""
    from openpyxl.xml import DEFUSEDXML

    if DEFUSEDXML:
        return []
    return [
        Error(
            "defusedxml is not installed: openpyxl would expand XML entities in uploaded files.",
            hint="pip install defusedxml (it is a dependency in pyproject.toml).",
            id="grants.E001",
        )
    ]
