"""LINE webhook events (JSON dicts, as the signed body carried them) -> InboundMessage.
Nothing else knows LINE's event shapes.

https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from tickets.inbound import InboundAttachment, InboundMessage
from tickets.models import Channel
from tickets.services.sanitize import strip_control_chars

# Where an attachment's bytes are: LINE's content API, by message id (see media.py).
CONTENT_URL_PREFIX = "line-content:"
MEDIA_TYPES = {"image", "video", "audio", "file"}
_DEFAULT_TYPES = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/m4a", "file": "application/octet-stream"}
_EXTENSIONS = {"image": ".jpg", "video": ".mp4", "audio": ".m4a"}
# LINE's CDN for sticker images, for the console to show the sticker itself.
STICKER_IMAGE_URL = "https://stickershop.line-scdn.net/stickershop/v1/sticker/{sticker_id}/android/sticker.png"


class InvalidLineEvent(ValueError):
    """An event we cannot take; the message says why. The rest of the batch goes on."""


def _str(value: Any, limit: int = 1000) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return strip_control_chars(str(value)).strip()[:limit]


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def event_user_id(event: dict) -> str:
    """The LINE userId of the person behind an event; empty when LINE does not say
    (a group member who has not consented to share it)."""
    return _str(_dict(event.get("source")).get("userId"), 100)


def event_time(event: dict) -> datetime | None:
    """LINE's timestamp (milliseconds since the epoch), or None when absent or absurd."""
    value = event.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _common_metadata(event: dict) -> dict[str, Any]:
    source = _dict(event.get("source"))
    line: dict[str, Any] = {
        "user_id": event_user_id(event),
        "webhook_event_id": _str(event.get("webhookEventId"), 100),
        "redelivery": bool(_dict(event.get("deliveryContext")).get("isRedelivery")),
        "source_type": _str(source.get("type"), 20),
        "mode": _str(event.get("mode"), 20),
    }
    for key in ("groupId", "roomId"):
        if source.get(key):
            line[key] = _str(source.get(key), 100)
    token = _str(event.get("replyToken"), 200)
    # A redelivered event's token is stale by the time it comes back; never reply with it.
    if token and not line["redelivery"]:
        line["reply_token"] = token
        line["reply_token_at"] = timezone.now().isoformat()
    return {"line": line}


def _location(message: dict) -> dict[str, Any] | None:
    try:
        latitude, longitude = float(message.get("latitude")), float(message.get("longitude"))
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return {
        "latitude": latitude,
        "longitude": longitude,
        "address": _str(message.get("address"), 300),
        "label": _str(message.get("title"), 300),
        "maps_url": f"https://www.google.com/maps/search/?api=1&query={latitude},{longitude}",
    }


def _location_text(location: dict[str, Any]) -> str:
    place = " - ".join(part for part in (location["label"], location["address"]) if part)
    coordinates = f"{location['latitude']}, {location['longitude']}"
    return f"Location: {place} ({coordinates})" if place else f"Location: {coordinates}"


def _attachment(message: dict, kind: str, message_id: str) -> InboundAttachment | None:
    provider = _dict(message.get("contentProvider"))
    if provider.get("type") == "external":
        # The sender's own server hosts it (LINE's API cannot give it to us): a link only.
        return None
    filename = _str(message.get("fileName"), 200) or f"line-{message_id}{_EXTENSIONS.get(kind, '')}"
    return InboundAttachment(
        filename=filename, content_type=_DEFAULT_TYPES[kind], source_url=f"{CONTENT_URL_PREFIX}{message_id}"
    )


def _message(event: dict, metadata: dict[str, Any]) -> InboundMessage:
    message = _dict(event.get("message"))
    message_id = _str(message.get("id"), 100)
    kind = _str(message.get("type"), 20)
    if not message_id or not kind:
        raise InvalidLineEvent("a message event without a message id or type")
    line = metadata["line"]
    line["message_type"] = kind
    if message.get("quoteToken"):
        line["quote_token"] = _str(message.get("quoteToken"), 200)
    if message.get("quotedMessageId"):
        line["quoted_message_id"] = _str(message.get("quotedMessageId"), 100)
    text = ""
    attachments: list[InboundAttachment] = []
    if kind == "text":
        text = message.get("text") if isinstance(message.get("text"), str) else ""
    elif kind in MEDIA_TYPES:
        attachment = _attachment(message, kind, message_id)
        if attachment is not None:
            attachments.append(attachment)
        else:
            url = _str(_dict(message.get("contentProvider")).get("originalContentUrl"), 1000)
            line["external_content_url"] = url
            text = f"[{kind}] {url}".strip()
        if message.get("duration") is not None:
            line["duration_ms"] = message.get("duration") if isinstance(message.get("duration"), int) else None
    elif kind == "sticker":
        sticker_id = _str(message.get("stickerId"), 40)
        keywords = [_str(word, 60) for word in message.get("keywords") or [] if isinstance(word, str)][:10]
        line["sticker"] = {
            "package_id": _str(message.get("packageId"), 40),
            "sticker_id": sticker_id,
            "resource_type": _str(message.get("stickerResourceType"), 40),
            "keywords": keywords,
            "image_url": STICKER_IMAGE_URL.format(sticker_id=sticker_id) if sticker_id.isdigit() else "",
        }
        # A message sticker carries the words written on it; else its keywords describe it.
        alt = _str(message.get("text"), 500) or ", ".join(keywords[:3])
        text = f"[sticker] {alt}" if alt else "[sticker]"
    elif kind == "location":
        location = _location(message)
        if location is None:
            raise InvalidLineEvent("a location message without valid coordinates")
        metadata["location"] = location
        text = _location_text(location)
    else:
        text = f"[{kind}]"
    return InboundMessage(
        channel=Channel.LINE,
        external_id=message_id,
        sender=f"line:{event_user_id(event)}",
        text=text,
        attachments=attachments,
        sent_at=event_time(event),
        metadata=metadata,
    )


def _postback(event: dict, metadata: dict[str, Any]) -> InboundMessage:
    postback = _dict(event.get("postback"))
    data = _str(postback.get("data"), 300)
    params = {key: _str(value, 100) for key, value in _dict(postback.get("params")).items()}
    metadata["line"]["postback"] = {"data": data, "params": params}
    # The answer a quick-reply or rich-menu button stands for: a survey's score is its data.
    text = data if data else " ".join(params.values())
    event_id = metadata["line"]["webhook_event_id"]
    if not event_id:
        raise InvalidLineEvent("a postback without a webhookEventId")
    return InboundMessage(
        channel=Channel.LINE,
        # Postbacks have no message id; the event id is theirs, and it stays the same on redelivery.
        external_id=f"postback:{event_id}",
        sender=f"line:{event_user_id(event)}",
        text=text or "[postback]",
        sent_at=event_time(event),
        metadata=metadata,
    )


def inbound_from_event(event: dict) -> InboundMessage:
    """A message or postback event as an InboundMessage. Raises InvalidLineEvent."""
    if not event_user_id(event):
        raise InvalidLineEvent("the event names no LINE user")
    metadata = _common_metadata(event)
    if event.get("type") == "message":
        return _message(event, metadata)
    if event.get("type") == "postback":
        return _postback(event, metadata)
    raise InvalidLineEvent(f"not a message or postback event: {_str(event.get('type'), 40)!r}")
