import pytest

DUMMY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture(autouse=True, params=["cache", "no-cache"])
def cache_mode(request, settings) -> str:
    """Every committee test runs twice: with the configured cache, and with Django's DummyCache
    (nothing is ever stored, so every page is built afresh). A page that differs between the two
    is a cache bug. Overriding CACHES resets Django's cache handlers, and grants.cache's `cache`
    (a proxy that looks up the default alias at each use) follows: test_page_cache.py checks."""
    if request.param == "no-cache":
        settings.CACHES = DUMMY_CACHE
    return request.param
