"""Webhook posts signed the way LINE signs them, and LINE's event shapes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

from django.conf import settings

USER = "U4af4980629c2f45f3f4e3b7e4b9c2c1f"
DESTINATION = "Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1"


def sign(body: bytes, secret: str | None = None) -> str:
    digest = hmac.new((secret or settings.LINE_CHANNEL_SECRET).encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def post_line(client, payload: dict | bytes, *, signature: str | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    headers = {}
    signature = sign(body) if signature is None else signature
    if signature:
        headers["HTTP_X_LINE_SIGNATURE"] = signature
    return client.post("/webhooks/line/", body, content_type="application/json", **headers)


def batch(*events: dict) -> dict:
    return {"destination": DESTINATION, "events": list(events)}


def event(kind: str, *, user: str = USER, redelivery: bool = False, reply_token: str | None = None, **fields) -> dict:
    data = {
        "type": kind,
        "mode": "active",
        "timestamp": 1733300000000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01J" + uuid.uuid4().hex[:23].upper(),
        "deliveryContext": {"isRedelivery": redelivery},
        **fields,
    }
    if kind in ("message", "postback", "follow") and reply_token is not False:
        data["replyToken"] = reply_token or uuid.uuid4().hex
    return data


def text_event(text: str, *, message_id: str = "468789577898262530", **options) -> dict:
    return event(
        "message", message={"type": "text", "id": message_id, "quoteToken": "q" + message_id, "text": text}, **options
    )
