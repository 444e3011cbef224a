from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from grants import views as grant_views

handler500 = "grants.views.server_error"

urlpatterns = [
    path("healthz", grant_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("grants.urls")),
    path("", include("committee.urls")),
    path("public/", include("public.urls")),
]
