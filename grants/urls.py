from django.urls import path

from grants import views

app_name = "grants"

urlpatterns = [
    path("grants/new/", views.grant_new, name="grant_new"),
    path("statements/<str:code>/<int:year>/", views.statement_detail, name="statement"),
    path("statements/<str:code>/<int:year>/edit/", views.statement_edit, name="statement_edit"),
    path(
        "statements/<str:code>/<int:year>/reopen/", views.statement_reopen, name="statement_reopen"
    ),
    path(
        "statements/<str:code>/<int:year>/history/",
        views.statement_history,
        name="statement_history",
    ),
    path(
        "statements/<str:code>/<int:year>/import/", views.statement_import, name="statement_import"
    ),
    path(
        "statements/<str:code>/<int:year>/accounts/",
        views.statement_accounts,
        name="statement_accounts",
    ),
    path(
        "statements/<str:code>/<int:year>/accounts/reopen/",
        views.statement_accounts_reopen,
        name="statement_accounts_reopen",
    ),
    path("years/<int:year>/export.xlsx", views.year_export_xlsx, name="year_export_xlsx"),
    path("years/<int:year>/export.csv", views.year_export_csv, name="year_export_csv"),
    path(
        "statements/<str:code>/<int:year>/export.xlsx",
        views.statement_export,
        name="statement_export",
    ),
    path("initiatives/new/", views.initiative_edit, name="initiative_new"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative_edit"),
]
