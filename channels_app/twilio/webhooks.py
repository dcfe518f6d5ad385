"""Twilio's webhooks: verify the signature, parse, ingest, answer. Nothing else.

Twilio signs each request with the account's auth token over the URL it requested
and the form parameters (https://www.twilio.com/docs/usage/security#validating-requests).
The URL is rebuilt from HELPDESK_PUBLIC_URL, never from the Host header, so a proxy
in front of the helpdesk cannot change what is checked."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from channels_app.twilio.outbound import status_callback_url
from channels_app.twilio.parsing import InvalidTwilioParams, message_sid
from channels_app.twilio.receive import twilio_message_receive
from channels_app.twilio.status import twilio_status_record
from tickets.models import Channel, Message
from tickets.services.ingest import InvalidInbound

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_PROXY_HINT = (
    "If Twilio posts to another URL, set HELPDESK_PUBLIC_URL to the scheme, host and port configured in "
    "Twilio's console (behind a proxy: https, not http, and the proxy must pass the path unchanged); "
    "also check that TWILIO_AUTH_TOKEN is the account's current token."
)


def _twiml(reply: Message | None = None) -> HttpResponse:
    if reply is None:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
    response = MessagingResponse()
    # Twilio posts the reply's status to `action`, as it does to a send's StatusCallback.
    # https://www.twilio.com/docs/messaging/twiml/message#action
    response.message(reply.text, action=status_callback_url(reply))
    return HttpResponse(response.to_xml(), content_type="text/xml")


def _refusal(status: int, reason: str) -> HttpResponse:
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")


def _verified(request: HttpRequest) -> HttpResponse | None:
    """None when the request is Twilio's; else the 4xx to answer with."""
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > settings.TWILIO_MAX_WEBHOOK_BYTES:
        return _refusal(413, "request too large for a Twilio webhook")
    url = settings.HELPDESK_PUBLIC_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        logger.warning("Twilio webhook refused: no X-Twilio-Signature header (validated URL %s). %s", url, _PROXY_HINT)
        return _refusal(403, "missing X-Twilio-Signature")
    if not RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST, signature):
        logger.warning(
            "Twilio webhook refused: X-Twilio-Signature does not match the validated URL %s "
            "(this server saw %s, X-Forwarded-Proto %r). %s",
            url,
            request.build_absolute_uri(),
            request.headers.get("X-Forwarded-Proto", ""),
            _PROXY_HINT,
        )
        return _refusal(403, "invalid X-Twilio-Signature")
    return None


def _message_webhook(request: HttpRequest, *, channel: str) -> HttpResponse:
    refusal = _verified(request)
    if refusal is not None:
        return refusal
    try:
        received = twilio_message_receive(params=request.POST, channel=channel)
    except (InvalidTwilioParams, InvalidInbound) as exc:
        return _refusal(400, str(exc))
    return _twiml(received.reply)


@csrf_exempt
@require_POST
def sms_webhook(request: HttpRequest) -> HttpResponse:
    return _message_webhook(request, channel=Channel.SMS)


@csrf_exempt
@require_POST
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    return _message_webhook(request, channel=Channel.WHATSAPP)


@csrf_exempt
@require_POST
def status_webhook(request: HttpRequest) -> HttpResponse:
    refusal = _verified(request)
    if refusal is not None:
        return refusal
    params = request.POST
    required = {"MessageSid": message_sid(params), "MessageStatus": params.get("MessageStatus", "")}
    missing = [name for name, value in required.items() if not value.strip()]
    if missing:
        return _refusal(400, f"missing required Twilio parameters: {', '.join(missing)}")
    twilio_status_record(
        message_sid=message_sid(params)[:255],
        twilio_status=params["MessageStatus"],
        error_code=params.get("ErrorCode", ""),
        error_message=params.get("ErrorMessage", "")[:1000],
        key=request.GET.get("key", ""),
    )
    return _twiml()
