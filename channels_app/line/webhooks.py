"""LINE's webhook: verify the signature, take each event, answer 200. Nothing else.

LINE signs the raw body with the channel secret (X-Line-Signature, base64 of its
HMAC-SHA256), checked by the SDK's WebhookParser. The "Verify" button of the LINE
Developers console posts a signed body with no events; it gets its 200 too.
https://developers.line.biz/en/reference/messaging-api/#signature-validation
https://developers.line.biz/en/docs/messaging-api/receiving-messages/#webhook-redelivery
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from linebot.v3.webhook import WebhookParser

from channels_app.health import channel_error_record, channel_event_record
from channels_app.line.receive import line_event_receive
from tickets.models import Channel

logger = logging.getLogger(__name__)


def _refusal(status: int, reason: str) -> HttpResponse:
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def line_webhook(request: HttpRequest) -> HttpResponse:
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > settings.LINE_MAX_WEBHOOK_BYTES:
        return _refusal(413, "request too large for a LINE webhook")
    signature = request.headers.get("X-Line-Signature", "")
    if not signature:
        return _refusal(403, "missing X-Line-Signature")
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _refusal(400, "the body is not UTF-8")
    # The SDK parser's own check. Its typed events are not used: they drop what they do
    # not model, and one event it cannot model would cost the others of the batch.
    if not WebhookParser(settings.LINE_CHANNEL_SECRET).signature_validator.validate(body, signature):
        logger.warning("LINE webhook refused: X-Line-Signature does not match (check LINE_CHANNEL_SECRET)")
        channel_error_record(channel=Channel.LINE, error="webhook refused: invalid X-Line-Signature")
        return _refusal(403, "invalid X-Line-Signature")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return _refusal(400, "the body is not JSON")
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        return _refusal(400, "the body is not a LINE webhook: events must be a list of objects")
    destination = payload.get("destination") if isinstance(payload.get("destination"), str) else ""
    channel_event_record(channel=Channel.LINE, count=len(events))
    for event in events:
        line_event_receive(event=event, destination=destination)
    return HttpResponse(status=200)
