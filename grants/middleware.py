import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class DanishUnlessChosenMiddleware:
    """Danish until the user picks English with the switcher: the browser's Accept-Language is
    not consulted (municipal staff often run English-language browsers but read the product in
    Danish). Placed before django.middleware.locale.LocaleMiddleware, which then finds only the
    switcher's cookie, or nothing, and falls back to LANGUAGE_CODE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


def client_address(request: HttpRequest) -> str:
    """The client's address for login throttling (django-axes' AXES_CLIENT_IP_CALLABLE).

    Directly on the internet (BEHIND_PROXY off) it is REMOTE_ADDR: X-Forwarded-For is the
    client's own say and is ignored. Behind our proxy (BEHIND_PROXY on) REMOTE_ADDR is the proxy,
    and the client's address is the last entry of X-Forwarded-For: the one hop we trust, the
    address our proxy saw and appended (or set). Anything the client put before it is ignored,
    so no one can lock another user out, or escape the throttle, by forging the header."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.BEHIND_PROXY:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return remote
