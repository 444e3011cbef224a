from collections.abc import Callable

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
