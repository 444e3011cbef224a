"""The product's settings plus the dev-only `bench` app and its URLs: benchmarks only."""

from eldercare.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
