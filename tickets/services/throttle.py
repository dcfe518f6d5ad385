"""Fixed-window counters in the shared cache (Redis in production), so that a limit
holds across every server process: the portal's and the chat's rate limits, the
staff sign-in lockout and the API's throttles count here."""

from __future__ import annotations

import hashlib

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

# Counts one more and returns the count and the seconds left in the window, which the
# first count starts: one atomic round trip, where add() then incr() took two and left
# a window that ends between them to a third.
_COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('TTL', KEYS[1])}
"""


def counter_incr(cache_key: str, *, timeout: int) -> int:
    """Counts one more in a cache counter that lives `timeout` seconds from its first count."""
    return counter_incr_with_wait(cache_key, timeout=timeout)[0]


def counter_incr_with_wait(cache_key: str, *, timeout: int) -> tuple[int, int]:
    """counter_incr's count, and the seconds until its window ends (at most `timeout`)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(cache_key)
        client = backend._cache.get_client(key, write=True)
        count, seconds_left = client.eval(_COUNT_IN_WINDOW, 1, key, timeout)
        return int(count), max(int(seconds_left), 1)
    # Elsewhere (the in-memory cache of `make run`): add() starts the window only if it
    # is not running yet; its end is not known, so the whole window is the wait.
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key), timeout
    except ValueError:  # the window ended between add() and incr()
        cache.set(cache_key, 1, timeout=timeout)
        return 1, timeout


def counter_get(cache_key: str) -> int:
    return int(cache.get(cache_key) or 0)


def hashed_key(prefix: str, *parts: str) -> str:
    """A cache key that holds no address or username in clear."""
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]
    return f"{prefix}:{digest}"


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is the client's to write unless a proxy we
    # trust rewrites REMOTE_ADDR for us.
    return request.META.get("REMOTE_ADDR", "") or "unknown"
