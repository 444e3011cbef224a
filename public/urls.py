from django.urls import path

from public import views

app_name = "public"

STATEMENT = "statements/<str:code>/<slug:programme>/<int:year>/"

urlpatterns = [
    path("", views.index, name="index"),
    path(STATEMENT, views.statement, name="statement"),
    path(STATEMENT + "print/", views.statement, {"printable": True}, name="statement_print"),
    path(STATEMENT + "export.xlsx", views.statement_export, name="statement_export"),
    path("<slug:programme>/<int:year>/data.csv", views.open_data, {"fmt": "csv"}, name="data_csv"),
    path(
        "<slug:programme>/<int:year>/data.xlsx", views.open_data, {"fmt": "xlsx"}, name="data_xlsx"
    ),
]
