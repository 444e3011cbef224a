from django.urls import path

from grants import views

app_name = "grants"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("statements/<str:code>/<int:year>/", views.statement_detail, name="statement"),
    path(
        "statements/<str:code>/<int:year>/export.xlsx",
        views.statement_export,
        name="statement_export",
    ),
    path("initiatives/", views.initiative_list, name="initiatives"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative"),
]
