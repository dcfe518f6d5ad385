"""Webhook posts signed the way Meta signs them, and its messaging items."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

from django.conf import settings

PAGE = "106000000000001"
PSID = "6500000000000001"
IGSID = "17841400000000001"


def sign(body: bytes, secret: str | None = None) -> str:
    return "sha256=" + hmac.new((secret or settings.META_APP_SECRET).encode(), body, hashlib.sha256).hexdigest()


def post_meta(client, payload: dict | bytes, *, signature: str | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    signature = sign(body) if signature is None else signature
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature else {}
    return client.post("/webhooks/meta/", body, content_type="application/json", **headers)


def webhook(*items: dict, platform: str = "page", page: str = PAGE) -> dict:
    return {"object": platform, "entry": [{"id": page, "time": 1733300000000, "messaging": list(items)}]}


def message_item(text: str = "", *, user: str = PSID, mid: str | None = None, **message) -> dict:
    body = {"mid": mid or "m_" + uuid.uuid4().hex, **message}
    if text:
        body["text"] = text
    return {"sender": {"id": user}, "recipient": {"id": PAGE}, "timestamp": 1733300000000, "message": body}
