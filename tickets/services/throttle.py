"""Fixed-window counters in the shared cache (Redis in production), so that a limit
holds across every server process: the portal's and the chat's rate limits, the
staff sign-in lockout and the API's throttles count here."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest


def counter_incr(cache_key: str, *, timeout: int) -> int:
    """Counts one more in a cache counter that lives `timeout` seconds from its first count."""
    # add() starts the window only if it is not running yet; incr() is atomic in Redis.
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(cache_key, 1, timeout=timeout)
        return 1


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
