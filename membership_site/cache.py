"""The Redis cache, failing open: a Redis that is down or unreachable never answers a page with 500.

The cache holds only what the site can do without: login and login-link rate-limit counters
(allauth's and ``members.throttle``'s) and a copy of each session (``cached_db`` sessions are
written to the database first). When Redis fails, a read finds nothing, a write is dropped, an
``add`` reports success (so allauth's rate-limit lock lets the request through) and ``incr``
counts as a first use; a WARNING names the outage. After a failure Redis is left alone for a few
seconds, so an outage costs one connection attempt per process, not one per cache call.

Django's client builds a new ``redis.Redis`` for every call, and redis-py's constructor copies
its table of ~250 response callbacks each time: about half the CPU of a session read (issue 20).
``ReusedClientRedisCacheClient`` keeps one per connection pool; a ``Redis`` object holds no
connection of its own (the pool hands them out per command), so threads can share it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0
# Without these a black-holed Redis host would hang each request for the OS's TCP timeout.
CONNECTION_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client with one ``redis.Redis`` per connection pool, not per call."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        params = {**params, "OPTIONS": {**CONNECTION_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._skip_until = 0.0

    def _call(self, call: Callable[[], Any], *, fallback: Any) -> Any:
        """``call()``, or ``fallback`` (with a WARNING) when Redis fails or failed just now."""
        if time.monotonic() < self._skip_until:
            return fallback
        try:
            return call()
        except RedisError as error:
            self._skip_until = time.monotonic() + RETRY_AFTER_SECONDS
            operation = getattr(call, "func", call).__name__
            logger.warning(
                "Redis cache unavailable (%s: %s during %s); carrying on without it for %ss: "
                "rate limits are not counted, sessions are read from the database.",
                type(error).__name__, error, operation, RETRY_AFTER_SECONDS,
            )  # fmt: skip
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._call(partial(super().add, key, value, timeout, version), fallback=True)

    def get(self, key, default=None, version=None) -> Any:
        return self._call(partial(super().get, key, default, version), fallback=default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        return self._call(partial(super().set, key, value, timeout, version), fallback=None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._call(partial(super().touch, key, timeout, version), fallback=False)

    def delete(self, key, version=None) -> bool:
        return self._call(partial(super().delete, key, version), fallback=False)

    def get_many(self, keys, version=None) -> dict:
        return self._call(partial(super().get_many, keys, version), fallback={})

    def has_key(self, key, version=None) -> bool:
        return self._call(partial(super().has_key, key, version), fallback=False)

    def incr(self, key, delta=1, version=None) -> int:
        return self._call(partial(super().incr, key, delta, version), fallback=delta)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list:
        return self._call(partial(super().set_many, data, timeout, version), fallback=list(data))

    def delete_many(self, keys, version=None) -> None:
        return self._call(partial(super().delete_many, keys, version), fallback=None)

    def clear(self) -> bool:
        return self._call(super().clear, fallback=False)
