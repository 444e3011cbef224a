"""The benchmarks' settings (`make bench`, `make load-test`): the product's, plus the dev-only
`bench` app (`seed_synthetic`) and its URLs (the bare baseline view). Never used in production."""

from eldercare.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
