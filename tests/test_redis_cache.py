"""eldercare.redis_cache: Django's Redis cache with one redis-py client per connection pool,
against a real Redis (127.0.0.1:6379, database 9, as tests/test_two_servers.py; required in CI)."""

import threading
import uuid

import pytest

from eldercare.redis_cache import RedisCache
from tests.test_two_servers import SHARED_REDIS, answers, unavailable


@pytest.fixture
def redis_cache():
    if not answers(SHARED_REDIS):
        unavailable(f"no Redis at {SHARED_REDIS}")
    cache = RedisCache(SHARED_REDIS, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield cache
    cache.delete_many(["a", "b", "n", "gone"])


def test_it_behaves_as_djangos_redis_cache(redis_cache):
    redis_cache.set("a", {"amount": 11_280_000})
    assert redis_cache.get("a") == {"amount": 11_280_000}
    assert redis_cache.add("a", 1) is False and redis_cache.add("b", 2) is True
    assert redis_cache.get_many(["a", "b", "gone"]) == {"a": {"amount": 11_280_000}, "b": 2}
    redis_cache.set("n", 1)
    assert redis_cache.incr("n") == 2
    redis_cache.delete("a")
    assert redis_cache.get("a", "default") == "default"


def test_one_client_serves_every_operation_and_thread(redis_cache):
    client = redis_cache._cache.get_client("a")
    assert redis_cache._cache.get_client("b", write=True) is client
    seen = []

    def work() -> None:
        redis_cache.set("b", 5)
        seen.append(redis_cache.get("b"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [5, 5, 5, 5]
    assert redis_cache._cache.get_client("a") is client
