"""SMS and WhatsApp into the dev outbox, in place of Twilio's Messages API."""

from __future__ import annotations

import uuid

from django.conf import settings

from channels_app.models import DevOutboxMessage
from channels_app.outbox.store import dev_outbox_record, twilio_configured
from tickets.models import Message
from tickets.registry import SendResult


def twilio_outbox_send(message: Message, *, to: str, from_: str, media_url: list[str] | None = None) -> SendResult:
    """What Twilio would have been given, delivered at once; the SID looks like Twilio's."""
    sid = f"SM{uuid.uuid4().hex}"
    dev_outbox_record(
        channel=message.channel,
        sender=from_,
        recipients=[to],
        text=message.text,
        attachments=[{"filename": url, "content_type": "", "size": 0} for url in media_url or []],
        external_id=sid,
    )
    return SendResult(external_id=sid, status=Message.DeliveryStatus.DELIVERED)


def portal_code_send(*, phone: str, body: str) -> None:
    """The portal's SMS sign-in codes: to the dev outbox while Twilio is not configured."""
    if twilio_configured():
        # Imported here: the Twilio sender imports this module for its replies.
        from channels_app.twilio.outbound import sms_text_send

        sms_text_send(phone=phone, body=body)
        return
    dev_outbox_record(
        channel=DevOutboxMessage.Channel.SMS, sender=settings.TWILIO_SMS_FROM, recipients=[phone], text=body
    )
