"""The official LINE SDK's clients, pointed at LINE_API_BASE_URL and
LINE_API_DATA_BASE_URL (a local fake in development and tests), and what its
errors mean for us.

https://developers.line.biz/en/reference/messaging-api/#error-responses
"""

from __future__ import annotations

import functools
import json

import urllib3
from django.conf import settings
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, MessagingApiBlob
from linebot.v3.messaging.exceptions import ApiException


@functools.lru_cache(maxsize=4)
def _api_client(host: str, token: str) -> ApiClient:
    return ApiClient(Configuration(host=host.rstrip("/"), access_token=token))


def line_api() -> MessagingApi:
    return MessagingApi(_api_client(settings.LINE_API_BASE_URL, settings.LINE_CHANNEL_ACCESS_TOKEN))


def line_blob_api() -> MessagingApiBlob:
    return MessagingApiBlob(_api_client(settings.LINE_API_DATA_BASE_URL, settings.LINE_CHANNEL_ACCESS_TOKEN))


def api_error_message(exc: ApiException) -> str:
    """LINE's own sentence from an error's JSON body ({"message": ..., "details": [...]})."""
    try:
        body = json.loads(exc.body or b"{}")
    except (ValueError, TypeError):
        body = {}
    if not isinstance(body, dict):
        return str(exc.reason or exc.status)
    message = str(body.get("message") or exc.reason or exc.status)
    details = body.get("details") if isinstance(body.get("details"), list) else []
    more = "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in details[:3] if isinstance(d, dict))
    return f"{message} ({more})" if more else message


def response_header(exc: ApiException, name: str) -> str:
    headers = exc.headers or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def may_have_reached_line(exc: Exception) -> bool:
    """Whether LINE may have acted on a request that failed without an answer: yes
    after a read timeout or a connection lost mid-way; no when no connection was made."""
    reason = getattr(exc, "reason", None) if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
    if isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)):
        return False
    return isinstance(reason, (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError))


# What a call to LINE raises when no answer came back.
TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, OSError)
