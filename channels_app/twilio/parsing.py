"""Twilio's webhook parameters -> InboundMessage. Nothing else knows Twilio's
parameter names.

https://www.twilio.com/docs/messaging/guides/webhook-request
https://www.twilio.com/docs/whatsapp/api#incoming-message-webhook-parameters
"""

from __future__ import annotations

import math
import mimetypes
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from channels_app.twilio.keywords import keyword_of
from tickets.inbound import InboundAttachment, InboundMessage
from tickets.models import Channel
from tickets.services.autoack import CHANNEL_COMMAND
from tickets.services.identities import InvalidAddress, normalize_address
from tickets.services.sanitize import strip_control_chars

# Twilio sends at most 10 media per message.
MAX_MEDIA = 10
# Click-to-WhatsApp ad referral parameters, kept on the message for marketing attribution.
_REFERRAL_PARAMS = {
    "ReferralCtwaClid": "ctwa_clid",
    "ReferralSourceId": "source_id",
    "ReferralSourceUrl": "source_url",
    "ReferralSourceType": "source_type",
    "ReferralHeadline": "headline",
    "ReferralBody": "body",
    "ReferralMediaId": "media_id",
    "ReferralMediaContentType": "media_content_type",
    "ReferralMediaUrl": "media_url",
    "ReferralNumMedia": "num_media",
}
# Kept as they came, for whoever looks at the message's details.
_PASSTHROUGH_PARAMS = {
    "To": "to",
    "AccountSid": "account_sid",
    "MessagingServiceSid": "messaging_service_sid",
    "MessageType": "message_type",
    "OptOutType": "opt_out_type",
    "ProfileName": "profile_name",
    "WaId": "wa_id",
    "ExternalUserId": "external_user_id",
    "ParentExternalUserId": "parent_external_user_id",
    "ButtonText": "button_text",
    "ButtonPayload": "button_payload",
    "OriginalRepliedMessageSid": "replied_to_sid",
    "FromCity": "from_city",
    "FromCountry": "from_country",
}


class InvalidTwilioParams(ValueError):
    """The post is not a message Twilio would send; the message says why, for a 400."""


def _get(params: Mapping[str, Any], name: str) -> str:
    # NUL and other control characters: PostgreSQL refuses NUL, in JSON metadata too.
    value = params.get(name, "")
    return strip_control_chars(value if isinstance(value, str) else str(value))


def message_sid(params: Mapping[str, Any]) -> str:
    # SmsSid is the older name of MessageSid; Twilio still sends both.
    return (_get(params, "MessageSid") or _get(params, "SmsSid")).strip()


def _require(params: Mapping[str, Any]) -> None:
    missing = []
    if not message_sid(params):
        missing.append("MessageSid (or SmsSid)")
    if not _get(params, "From").strip():
        missing.append("From")
    if missing:
        raise InvalidTwilioParams(f"missing required Twilio parameters: {', '.join(missing)}")
    try:
        normalize_address(_get(params, "From"))
    except InvalidAddress:
        raise InvalidTwilioParams("From is not a phone number or a WhatsApp address") from None


def _num_media(params: Mapping[str, Any]) -> int:
    raw = _get(params, "NumMedia").strip() or "0"
    if not raw.isdigit() or int(raw) > MAX_MEDIA:
        raise InvalidTwilioParams(f"NumMedia must be a number from 0 to {MAX_MEDIA}, not {raw[:20]!r}")
    return int(raw)


def _attachments(params: Mapping[str, Any]) -> list[InboundAttachment]:
    attachments = []
    for index in range(_num_media(params)):
        url = _get(params, f"MediaUrl{index}").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
            raise InvalidTwilioParams(f"MediaUrl{index} is not a media URL")
        content_type = _get(params, f"MediaContentType{index}").strip().lower()[:150] or "application/octet-stream"
        # Twilio's media URLs end in the media sid (ME...), without an extension.
        stem = parts.path.rstrip("/").rsplit("/", 1)[-1] or f"media{index}"
        extension = "" if "." in stem else (mimetypes.guess_extension(content_type.split(";")[0]) or "")
        attachments.append(InboundAttachment(filename=f"{stem}{extension}", content_type=content_type, source_url=url))
    return attachments


def _location(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """A WhatsApp location pin, or None when the coordinates are absent or nonsense."""
    try:
        latitude = float(_get(params, "Latitude"))
        longitude = float(_get(params, "Longitude"))
    except ValueError:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return {
        "latitude": latitude,
        "longitude": longitude,
        "address": _get(params, "Address").strip()[:300],
        "label": _get(params, "Label").strip()[:300],
        "maps_url": f"https://www.google.com/maps/search/?api=1&query={latitude},{longitude}",
    }


def _location_text(location: dict[str, Any]) -> str:
    place = " - ".join(part for part in (location["label"], location["address"]) if part)
    coordinates = f"{location['latitude']}, {location['longitude']}"
    return f"Location: {place} ({coordinates})" if place else f"Location: {coordinates}"


def _extra_addresses(channel: str, sender: str, params: Mapping[str, Any]) -> list[str]:
    """Other addresses of the same person that Twilio tells us about."""
    extras = []
    parent = _get(params, "ParentExternalUserId").strip()
    if channel == Channel.WHATSAPP and parent:
        # A WhatsApp business-scoped user id has a parent id shared across one business's numbers.
        extras.append(f"whatsapp:{parent}")
    alternate = _brazil_alternate(sender.removeprefix("whatsapp:").strip())
    if alternate:
        extras.append(alternate)
    return extras


def _brazil_alternate(number: str) -> str:
    """Brazilian mobiles gained a ninth digit, but WhatsApp still reports some in the
    old 8-digit form: +55 41 98888-7777 and +55 41 8888-7777 are one person."""
    if not number.startswith("+55") or not number[1:].isdigit():
        return ""
    national = number[3:]
    if len(national) == 11 and national[2] == "9":
        return f"+55{national[:2]}{national[3:]}"
    if len(national) == 10 and national[2] in "6789":
        return f"+55{national[:2]}9{national[2:]}"
    return ""


def inbound_from_params(params: Mapping[str, Any], *, channel: str) -> InboundMessage:
    """Turns a webhook's form parameters into an InboundMessage. Body may be empty (a
    picture, a location pin, or a blank SMS)."""
    _require(params)
    sender = _get(params, "From").strip()[:320]
    body = _get(params, "Body")
    metadata: dict[str, Any] = {"from": sender}
    for param, key in _PASSTHROUGH_PARAMS.items():
        value = _get(params, param).strip()
        if value:
            metadata[key] = value[:300]
    referral = {key: _get(params, param)[:1000] for param, key in _REFERRAL_PARAMS.items() if _get(params, param)}
    if referral:
        metadata["referral"] = referral
    text = body
    location = _location(params) if (_get(params, "MessageType") == "location" or "Latitude" in params) else None
    if location:
        metadata["location"] = location
        text = body.strip() or _location_text(location)
    if channel == Channel.SMS:
        keyword = keyword_of(body)
        if keyword:
            metadata["sms_keyword"] = keyword.value
            # Addressed to the channel, not to the support team: nothing to acknowledge.
            metadata[CHANNEL_COMMAND] = True
    return InboundMessage(
        channel=channel,
        external_id=message_sid(params),
        sender=sender,
        sender_name=_get(params, "ProfileName").strip(),
        sender_extra_addresses=_extra_addresses(channel, sender, params),
        text=text,
        attachments=_attachments(params),
        metadata=metadata,
    )
