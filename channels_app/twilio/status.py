"""Twilio's message status callbacks -> the outbound Message's delivery status.
https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
"""

from __future__ import annotations

import logging
import uuid

from tickets.models import Channel, Direction, Message
from tickets.services.delivery import delivery_record

logger = logging.getLogger(__name__)
Status = Message.DeliveryStatus

# Twilio's "queued" and "accepted" mean it has the message; they map to "sending",
# never to our "queued", which would hand the message back to the delivery task.
TWILIO_STATUSES = {
    "accepted": Status.SENDING,
    "scheduled": Status.SENDING,
    "queued": Status.SENDING,
    "sending": Status.SENDING,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
    "canceled": Status.FAILED,
}


def _outbound(*, message_sid: str, key: str) -> Message | None:
    # By key first: a send whose answer was lost has no SID to be found by.
    outbound = Message.objects.filter(direction=Direction.OUT, channel__in=[Channel.SMS, Channel.WHATSAPP])
    try:
        by_key = outbound.filter(idempotency_key=uuid.UUID(key)).first() if key else None
    except ValueError:
        by_key = None
    return by_key or outbound.filter(external_id=message_sid).first()


def twilio_status_record(
    *, message_sid: str, twilio_status: str, error_code: str = "", error_message: str = "", key: str = ""
) -> Message | None:
    """Records one status callback. An unknown message or status is logged and
    ignored: Twilio must not retry a callback that we cannot use."""
    status = TWILIO_STATUSES.get(twilio_status.strip().lower())
    if status is None:
        logger.info("Twilio status %r for %s ignored", twilio_status[:40], message_sid)
        return None
    message = _outbound(message_sid=message_sid, key=key)
    if message is None:
        logger.info("Twilio status callback for unknown message %s ignored", message_sid)
        return None
    error_code = error_code.strip()[:40]
    # An empty error also clears the reason of an earlier failed attempt once a send succeeds.
    return delivery_record(
        message=message,
        status=status,
        external_id=message_sid or None,
        error=twilio_error_text(error_code=error_code, error_message=error_message),
        error_code=error_code,
    )


def twilio_error_text(*, error_code: str, error_message: str) -> str:
    error_code, error_message = error_code.strip(), error_message.strip()
    if error_code and error_message:
        return f"{error_code} - {error_message}"
    if error_code:
        return f"Error code: {error_code}"
    return error_message
