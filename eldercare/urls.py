from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import TemplateView
from django.views.i18n import set_language

from grants import views as grant_views

handler403 = "grants.views.permission_denied"
handler404 = "grants.views.page_not_found"
handler500 = "grants.views.server_error"

urlpatterns = [
    path("healthz", grant_views.healthz, name="healthz"),
    path("favicon.ico", grant_views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch is on every page, the login page and the public pages included.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path(
        "tilgaengelighed/",
        login_not_required(TemplateView.as_view(template_name="pages/accessibility.html")),
        name="accessibility",
    ),
    path("admin/", admin.site.urls),
    path("", include("grants.urls")),
    path("", include("committee.urls")),
    path("public/", include("public.urls")),
]
