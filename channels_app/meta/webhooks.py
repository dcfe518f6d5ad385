"""Meta's webhook for Messenger and Instagram Direct: the subscription handshake, then
signed events. Nothing else.

GET: Meta subscribes with hub.mode=subscribe, hub.verify_token (ours, META_VERIFY_TOKEN)
and hub.challenge, which is echoed back. POST: X-Hub-Signature-256 is "sha256=" and the
HMAC-SHA256 of the raw body with the app secret.
https://developers.facebook.com/docs/graph-api/webhooks/getting-started
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels_app.health import channel_error_record, channel_event_record
from channels_app.meta.parsing import CHANNELS
from channels_app.meta.receive import meta_messaging_receive

logger = logging.getLogger(__name__)


def _refusal(status: int, reason: str) -> HttpResponse:
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")


def _verify(request: HttpRequest) -> HttpResponse:
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    if mode != "subscribe" or not hmac.compare_digest(token.encode(), settings.META_VERIFY_TOKEN.encode()):
        return _refusal(403, "hub.verify_token does not match")
    return HttpResponse(request.GET.get("hub.challenge", "")[:200], content_type="text/plain")


def _signed(request: HttpRequest) -> bool:
    header = request.headers.get("X-Hub-Signature-256", "")
    expected = hmac.new(settings.META_APP_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    return header.startswith("sha256=") and hmac.compare_digest(header.removeprefix("sha256="), expected)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _verify(request)
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > settings.META_MAX_WEBHOOK_BYTES:
        return _refusal(413, "request too large for a Meta webhook")
    if not _signed(request):
        logger.warning("Meta webhook refused: X-Hub-Signature-256 does not match (check META_APP_SECRET)")
        channel_error_record(channel="messenger", error="webhook refused: invalid X-Hub-Signature-256")
        return _refusal(403, "invalid X-Hub-Signature-256")
    try:
        payload = json.loads(request.body)
    except (ValueError, RecursionError):
        return _refusal(400, "the body is not JSON")
    platform = payload.get("object") if isinstance(payload, dict) else None
    entries = payload.get("entry") if isinstance(payload, dict) else None
    if platform not in CHANNELS or not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return _refusal(400, 'expected {"object": "page" or "instagram", "entry": [...]}')
    items = [
        (str(entry.get("id") or ""), item)
        for entry in entries
        for item in (entry.get("messaging") if isinstance(entry.get("messaging"), list) else [])
        if isinstance(item, dict)
    ]
    channel_event_record(channel=CHANNELS[platform], count=len(items))
    for page_id, item in items:
        meta_messaging_receive(platform=platform, page_id=page_id, item=item)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")
