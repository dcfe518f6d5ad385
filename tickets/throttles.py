"""The REST API's throttles (DRF), counted in the shared cache so that they hold
across server processes. Rates come from settings at each request, so that they can
be changed without a restart of the code that reads them.

Each counts a fixed window from a caller's first request (tickets.services.throttle),
in one round trip to Redis: DRF's own throttles keep every request's time of the
window in a list that each request reads and writes back whole (two round trips, and
a list that grows with the rate), and two processes writing it at once lose a count."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from tickets.services.throttle import counter_incr_with_wait


class _FixedWindowThrottle:
    # Not DRF's keys, whose values are its lists.
    cache_format = "api-throttle:%(scope)s:%(ident)s"

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        count, self.seconds_left = counter_incr_with_wait(self.key, timeout=self.duration)
        return count <= self.num_requests

    def wait(self) -> float:
        return self.seconds_left


class ApiAnonThrottle(_FixedWindowThrottle, AnonRateThrottle):
    def get_rate(self) -> str:
        return settings.HELPDESK_API_RATE_ANON


class ApiUserThrottle(_FixedWindowThrottle, UserRateThrottle):
    def get_rate(self) -> str:
        return settings.HELPDESK_API_RATE_USER
