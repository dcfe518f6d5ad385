"""Meta's webhook entries (Messenger and Instagram Direct) -> InboundMessage and the
receipts and echoes beside them. Nothing else knows the Graph API's event shapes.

https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
https://developers.facebook.com/docs/instagram-platform/webhooks/
"""

from __future__ import annotations

import math
import mimetypes
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tickets.inbound import InboundAttachment, InboundMessage
from tickets.models import Channel
from tickets.services.sanitize import strip_control_chars

# The webhook's "object" -> our channel.
CHANNELS = {"page": Channel.MESSENGER, "instagram": Channel.INSTAGRAM}
FETCHED_TYPES = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg", "file": "application/octet-stream"}
MAX_ATTACHMENTS = 10


class InvalidMetaEvent(ValueError):
    """An event we cannot take; the message says why. The rest of the batch goes on."""


def text_of(value: Any, limit: int = 1000) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return strip_control_chars(str(value)).strip()[:limit]


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def event_time(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def event_kind(item: dict) -> str:
    """message, echo, postback, read, delivery, or what else Meta sent (reaction, referral...)."""
    for kind in ("message", "postback", "read", "delivery", "reaction", "referral", "optin"):
        if isinstance(item.get(kind), dict):
            if kind == "message" and item["message"].get("is_echo"):
                return "echo"
            return kind
    return "other"


def _attachments(message: dict) -> tuple[list[InboundAttachment], list[str], dict]:
    """Files to fetch, lines of text for what is not a file, and extra metadata."""
    files: list[InboundAttachment] = []
    lines: list[str] = []
    extra: dict[str, Any] = {}
    raw = message.get("attachments")
    for index, attachment in enumerate(raw[:MAX_ATTACHMENTS] if isinstance(raw, list) else []):
        attachment = as_dict(attachment)
        kind = text_of(attachment.get("type"), 40)
        payload = as_dict(attachment.get("payload"))
        url = text_of(payload.get("url"), 2000)
        if kind == "location" or payload.get("coordinates"):
            coordinates = as_dict(payload.get("coordinates"))
            try:
                latitude, longitude = float(coordinates.get("lat")), float(coordinates.get("long"))
            except (TypeError, ValueError):
                lines.append("[location]")
                continue
            if math.isfinite(latitude) and math.isfinite(longitude):
                extra["location"] = {
                    "latitude": latitude,
                    "longitude": longitude,
                    "label": text_of(attachment.get("title"), 300),
                    "maps_url": f"https://www.google.com/maps/search/?api=1&query={latitude},{longitude}",
                }
                lines.append(f"Location: {latitude}, {longitude}")
            continue
        if payload.get("sticker_id") is not None:
            extra["sticker_id"] = text_of(payload.get("sticker_id"), 40)
            lines.append("[sticker]")
            continue
        parts = urlsplit(url)
        if kind in FETCHED_TYPES and parts.scheme in ("http", "https") and parts.netloc:
            stem = parts.path.rstrip("/").rsplit("/", 1)[-1][:120] or f"{kind}{index}"
            content_type = mimetypes.guess_type(stem)[0] or FETCHED_TYPES[kind]
            files.append(InboundAttachment(filename=stem, content_type=content_type, source_url=url))
        else:
            # Shares, story mentions, reels, fallbacks: a link, not a file of the customer's.
            title = text_of(attachment.get("title") or payload.get("title"), 300)
            lines.append(" ".join(part for part in (f"[{kind or 'attachment'}]", title, url) if part))
    return files, lines, extra


def inbound_from_messaging(item: dict, *, channel: str, page_id: str) -> InboundMessage:
    """A message (not an echo) or a postback from a user. Raises InvalidMetaEvent."""
    sender = text_of(as_dict(item.get("sender")).get("id"), 100)
    if not sender:
        raise InvalidMetaEvent("the event names no sender")
    meta: dict[str, Any] = {"sender_id": sender, "page_id": page_id[:100]}
    metadata: dict[str, Any] = {"meta": meta}
    kind = event_kind(item)
    if kind == "postback":
        postback = as_dict(item.get("postback"))
        payload = text_of(postback.get("payload"), 1000)
        meta["postback"] = {"title": text_of(postback.get("title"), 300), "payload": payload}
        mid = text_of(postback.get("mid"), 255)
        if not mid:
            raise InvalidMetaEvent("a postback without a mid")
        return InboundMessage(
            channel=channel,
            external_id=mid,
            sender=f"{channel}:{sender}",
            text=text_of(postback.get("title"), 300) or payload or "[postback]",
            sent_at=event_time(item.get("timestamp")),
            metadata=metadata,
        )
    message = as_dict(item.get("message"))
    mid = text_of(message.get("mid"), 255)
    if not mid:
        raise InvalidMetaEvent("a message without a mid")
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    quick_reply = as_dict(message.get("quick_reply"))
    if quick_reply:
        meta["quick_reply_payload"] = text_of(quick_reply.get("payload"), 1000)
    if as_dict(message.get("reply_to")).get("mid"):
        meta["reply_to"] = text_of(as_dict(message.get("reply_to")).get("mid"), 255)
    files, lines, extra = _attachments(message)
    metadata.update(extra)
    return InboundMessage(
        channel=channel,
        external_id=mid,
        sender=f"{channel}:{sender}",
        text="\n".join(part for part in [text, *lines] if part),
        attachments=files,
        sent_at=event_time(item.get("timestamp")),
        metadata=metadata,
    )
