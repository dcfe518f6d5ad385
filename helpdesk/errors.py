"""A database that refuses connections is a 503 with Retry-After on every HTTP entry
point, never a 500: providers (Twilio, LINE, Meta, the mail relay) retry a 5xx, and
nothing is acknowledged that was not stored, since every entry point stores before it
answers. The answer itself touches neither the database nor the session."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_S = 30
# Paths whose callers read JSON: the REST API and the chat widget's endpoints.
_JSON_PREFIXES = ("/api/", "/chat/")


def database_unavailable(request: HttpRequest) -> HttpResponse:
    message = _("The service is briefly unavailable. Please try again in a minute.")
    if request.path.startswith(_JSON_PREFIXES):
        body = {"detail": message} if request.path.startswith("/api/") else {"error": {"code": "unavailable", "message": message}}
        response: HttpResponse = JsonResponse(body, status=503)
    elif request.path.startswith("/webhooks/"):
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a lost or refused database connection in a view into the 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("database unavailable on %s %s: %s", request.method, request.path, exception)
            return database_unavailable(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the same 503 for a database error raised outside a view (a
    middleware saving the session), the usual 500 page for anything else."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable(request)
    return defaults.server_error(request)
