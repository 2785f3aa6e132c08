"""The Redis cache, falling back to a per-process memory cache while Redis is down.

django-redis's IGNORE_EXCEPTIONS alone turns an outage into "every key missing and
every add() refused". allauth's rate limiter takes a lock with ``cache.add`` and
refuses the request when it cannot: with plain IGNORE_EXCEPTIONS nobody could log
in until Redis is back. Here each process keeps counting in memory instead, so
rate limits still hold (per process) and logins go on; sessions are cached_db in
production, so they live in the database anyway.
"""

import logging
import time
from functools import wraps

from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After a failure, Redis is not tried again for this long: a host that does not
# answer would otherwise cost the connect timeout on every cache call.
RETRY_AFTER = 5.0

_METHODS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "decr",
    "set_many",
    "delete_many",
    "get_or_set",
    "clear",
)


def _with_fallback(name: str):
    redis_method = getattr(RedisCache, name)

    @wraps(redis_method)
    def method(self, *args, **kwargs):
        if time.monotonic() >= self._redis_down_until:
            try:
                return redis_method(self, *args, **kwargs)
            except (ConnectionInterrupted, RedisError):
                self._redis_down_until = time.monotonic() + RETRY_AFTER
                logger.warning(
                    "Redis cache unreachable; using this process's memory for %.0f s",
                    RETRY_AFTER,
                    exc_info=True,
                )
        return getattr(self._fallback, name)(*args, **kwargs)

    return method


class RedisCacheWithFallback(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        # Errors must reach the wrapper instead of turning into "missing".
        self._ignore_exceptions = False
        self._redis_down_until = 0.0
        self._fallback = LocMemCache(
            f"redis-fallback-{server}", {"OPTIONS": {"MAX_ENTRIES": 10_000}}
        )


for _name in _METHODS:
    setattr(RedisCacheWithFallback, _name, _with_fallback(_name))
