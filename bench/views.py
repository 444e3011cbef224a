from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse


@login_not_required
def baseline(request: HttpRequest) -> HttpResponse:
    """The benchmark's yardstick: a trivial response through the same middleware, touching
    neither the database nor a template."""
    return HttpResponse(b"ok", content_type="text/plain")
