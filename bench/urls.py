from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path


@login_not_required
def baseline(request) -> HttpResponse:
    """The yardstick: through the same middleware, touching no database or template."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/baseline", baseline), path("", include("eldercare.urls"))]
