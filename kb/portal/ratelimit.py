"""Fixed-window rate limits kept in the cache, so they hold across server processes
when the cache is Redis."""

from __future__ import annotations

import hashlib

from django.conf import settings

from tickets.services.throttle import client_ip, counter_incr  # noqa: F401  (the portal's views import them here)

# (requests, window in seconds) per scope; settings.PORTAL_RATE_LIMITS overrides any of them.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "signin-ip": (30, 600),
    "signin-address": (5, 600),
    "code-verify-ip": (30, 600),
    "submit": (10, 3600),
    "search": (60, 60),
}


class RateLimited(Exception):
    def __init__(self, *, retry_after_s: int) -> None:
        super().__init__(f"rate limited; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


def _limit(scope: str) -> tuple[int, int]:
    return {**DEFAULT_LIMITS, **getattr(settings, "PORTAL_RATE_LIMITS", {})}[scope]


def rate_limit_check(*, scope: str, key: str) -> None:
    """Counts one hit of `key` in `scope`; raises RateLimited past the limit. Keys are
    hashed so that no address sits in the cache in clear."""
    limit, window = _limit(scope)
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    cache_key = f"portal:rl:{scope}:{digest}"
    if counter_incr(cache_key, timeout=window) > limit:
        raise RateLimited(retry_after_s=window)
