from django.urls import path

from committee import views

app_name = "committee"

urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path("initiatives/", views.initiative_list, name="initiatives"),
    path(
        "initiatives/export.xlsx",
        views.initiative_export,
        {"fmt": "xlsx"},
        name="initiative_export_xlsx",
    ),
    path(
        "initiatives/export.csv",
        views.initiative_export,
        {"fmt": "csv"},
        name="initiative_export_csv",
    ),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative"),
    path("municipalities/<str:code>/", views.municipality_detail, name="municipality"),
    path("years/<slug:programme>/<int:year>/compare/", views.year_compare, name="year_compare"),
    path("proposals/", views.proposal_list, name="proposals"),
    path(
        "proposals/export.xlsx", views.proposal_export, {"fmt": "xlsx"}, name="proposal_export_xlsx"
    ),
    path("proposals/export.csv", views.proposal_export, {"fmt": "csv"}, name="proposal_export_csv"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
]
