"""An inbound SMS or WhatsApp message, from Twilio's parameters to the timeline:
parse, ingest through THE pipeline, honour opt-out keywords."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from channels_app.twilio.keywords import Keyword, keyword_reply, keyword_reply_record, sms_optout_record
from channels_app.twilio.parsing import inbound_from_params
from tickets.models import Channel, ContactIdentity, InboundEvent, Message
from tickets.services.identities import InvalidAddress, normalize_address
from tickets.services.ingest import IngestResult, inbound_accept, ingest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    result: IngestResult
    # A keyword's confirmation, on the timeline, for the webhook to answer with in TwiML.
    reply: Message | None = None


def twilio_message_receive(*, params: Mapping[str, Any], channel: str) -> Received:
    """Raises InvalidTwilioParams or InvalidInbound (both ValueError) for a 400."""
    msg = inbound_from_params(params, channel=channel)
    keyword = msg.metadata.get("sms_keyword")
    # A keyword is answered in this request's TwiML, so it is processed at once; any
    # other message is accepted and processed off the request path.
    result = ingest(msg) if keyword else inbound_accept(msg)
    # A redelivered keyword (a duplicate) was answered the first time.
    if channel == Channel.SMS and keyword and result.status == InboundEvent.Status.PROCESSED:
        text = _keyword_handle(sender=msg.sender, keyword=Keyword(keyword), written=msg.text, params=params)
        if text and result.message is not None:
            return Received(result=result, reply=keyword_reply_record(inbound=result.message, text=text))
    return Received(result=result)


def _keyword_handle(*, sender: str, keyword: Keyword, written: str, params: Mapping[str, Any]) -> str:
    try:
        normalized = normalize_address(sender)
    except InvalidAddress:
        return ""
    if normalized.kind != ContactIdentity.Kind.PHONE:
        return ""
    sms_optout_record(phone=normalized.address, keyword=keyword, written=written)
    # Twilio's Advanced Opt-Out already answered (it says so with OptOutType).
    if params.get("OptOutType") or not settings.TWILIO_KEYWORD_REPLIES:
        return ""
    return keyword_reply(keyword=keyword, written=written)
