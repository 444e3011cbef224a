from django.urls import path, re_path

from grants import views

app_name = "grants"

# A statement is one municipality's, one programme's, one year's: /statements/173/vaerdighed/2018/
STATEMENT = "statements/<str:code>/<slug:programme>/<int:year>/"

urlpatterns = [
    path("tasks/", views.tasks, name="tasks"),
    path("grants/new/", views.grant_new, name="grant_new"),
    path(STATEMENT, views.statement_detail, name="statement"),
    path(STATEMENT + "edit/", views.statement_edit, name="statement_edit"),
    path(STATEMENT + "review/", views.statement_review, name="statement_review"),
    path(STATEMENT + "steps/<slug:kind>/", views.statement_step, name="statement_step"),
    path(
        STATEMENT + "steps/<slug:kind>/reopen/",
        views.statement_step_reopen,
        name="statement_step_reopen",
    ),
    path(STATEMENT + "reopen/", views.statement_reopen, name="statement_reopen"),
    path(STATEMENT + "history/", views.statement_history, name="statement_history"),
    path(STATEMENT + "import/", views.statement_import, name="statement_import"),
    path(STATEMENT + "accounts/", views.statement_accounts, name="statement_accounts"),
    path(
        STATEMENT + "accounts/reopen/",
        views.statement_accounts_reopen,
        name="statement_accounts_reopen",
    ),
    path(STATEMENT + "export.xlsx", views.statement_export, name="statement_export"),
    path(
        "years/<slug:programme>/<int:year>/export.xlsx",
        views.year_export_xlsx,
        name="year_export_xlsx",
    ),
    path(
        "years/<slug:programme>/<int:year>/export.csv",
        views.year_export_csv,
        name="year_export_csv",
    ),
    path("initiatives/new/", views.initiative_edit, name="initiative_new"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative_edit"),
    # The URLs before programmes (a stable interface: bookmarks and printed links) lead to the
    # same page of that year's Værdighedsmilliarden statement, permanently.
    re_path(
        r"^statements/(?P<code>[^/]+)/(?P<year>[0-9]{4})/(?P<rest>.*)$",
        views.old_statement_url,
    ),
    re_path(r"^years/(?P<year>[0-9]{4})/(?P<rest>.*)$", views.old_year_url),
]
