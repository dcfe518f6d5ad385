"""django-anymail's webhook routes, each view made strict about malformed posts.

Anymail turns the payloads it expects to be wrong (a missing field, bad JSON) into a
400, but a payload of the wrong shape (a JSON array, a non-ASCII token, a number for
a signature) escapes its checks as a TypeError or UnicodeError, a 500. Checking and
parsing happen before the inbound signal reaches the pipeline, so an error there is
always the sender's: a 400, which tells the ESP not to retry it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailWebhookValidationFailure
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import URLPattern

logger = logging.getLogger(__name__)

_MALFORMED = (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError)


def _strict(view_class: type) -> type:
    class StrictWebhookView(view_class):
        def validate_request(self, request):
            try:
                return super().validate_request(request)
            except AnymailWebhookValidationFailure:
                raise
            except _MALFORMED as exc:
                raise AnymailWebhookValidationFailure(f"{self.esp_name} webhook called with a malformed payload") from exc

        def parse_events(self, request):
            try:
                return super().parse_events(request)
            except _MALFORMED as exc:
                raise AnymailWebhookValidationFailure(f"{self.esp_name} webhook called with a malformed payload") from exc

    StrictWebhookView.__name__ = StrictWebhookView.__qualname__ = f"Strict{view_class.__name__}"
    return StrictWebhookView


def _configured_only(view: Callable, esp: str) -> Callable:
    """An ESP whose secrets are not set (anymail refuses to build its view) is not
    served: a 404 for whoever probes it, an error in the log for the operator."""

    def configured_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ImproperlyConfigured as exc:
            logger.error("the %s webhook was called but is not configured: %s", esp, exc)
            return HttpResponseNotFound(f"The {esp} webhook is not configured here.", content_type="text/plain")

    configured_view.csrf_exempt = True
    return configured_view


urlpatterns = [
    URLPattern(
        pattern.pattern,
        _configured_only(
            _strict(pattern.callback.view_class).as_view(**pattern.callback.view_initkwargs), pattern.name or ""
        ),
        pattern.default_args,
        pattern.name,
    )
    for pattern in anymail_urls.urlpatterns
]
