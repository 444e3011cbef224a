from django.urls import path

from budgets import views

app_name = "budgets"

urlpatterns = [
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
]
