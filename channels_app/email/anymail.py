"""django-anymail's inbound webhooks (Mailgun, SendGrid, Postmark, Amazon SES, ...)
into the one pipeline.

Anymail verifies the ESP's signature or basic auth and hands over an
AnymailInboundMessage, which is an email.message.EmailMessage: it is written back
to RFC 5322 bytes and read by the same parser as every other source, so that the
raw message is kept and every ESP gets the same decoding."""

from __future__ import annotations

import logging
from email import policy

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, inbound
from django.dispatch import receiver

from channels_app.email.inbound import NotAnEmail, email_ingest
from tickets.services.ingest import InvalidInbound

logger = logging.getLogger(__name__)


def anymail_message_bytes(message: AnymailInboundMessage) -> bytes:
    """The message as bytes: as the ESP sent it when anymail parsed raw MIME, or as
    anymail assembled it from the ESP's parsed fields."""
    for writer in (lambda: message.as_bytes(), lambda: message.as_bytes(policy=policy.compat32)):
        try:
            return writer()
        except Exception:  # a header the generator cannot fold
            continue
    return message.as_string(policy=policy.compat32).encode("utf-8", "surrogateescape")


@receiver(inbound, dispatch_uid="helpdesk-email-anymail-inbound")
def anymail_inbound_received(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    message = event.message
    if message is None:
        logger.warning("%s sent an inbound event without a message", esp_name)
        return
    try:
        result = email_ingest(
            raw=anymail_message_bytes(message),
            envelope_sender=message.envelope_sender or "",
            source=f"anymail:{esp_name.lower()}",
        )
    except (NotAnEmail, InvalidInbound) as exc:
        # A 400 (anymail's answer to this error), as the raw-MIME webhook answers: the ESP must not retry it.
        raise AnymailWebhookValidationFailure(f"{esp_name} inbound event is not an email: {exc}") from exc
    logger.info("%s inbound mail %s: %s", esp_name, result.event.external_id, result.status)
