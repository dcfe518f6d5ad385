"""The REST API's throttles (DRF), counted in the shared cache so that they hold
across server processes. Rates come from settings at each request, so that they can
be changed without a restart of the code that reads them."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class ApiAnonThrottle(AnonRateThrottle):
    def get_rate(self) -> str:
        return settings.HELPDESK_API_RATE_ANON


class ApiUserThrottle(UserRateThrottle):
    def get_rate(self) -> str:
        return settings.HELPDESK_API_RATE_USER
