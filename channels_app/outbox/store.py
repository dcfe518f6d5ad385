"""Whether a provider is configured, and recording what the dev outbox delivers."""

from __future__ import annotations

import re

from django.conf import settings

from channels_app.models import DevOutboxMessage

# The embedded default of TWILIO_ACCOUNT_SID: no Twilio account.
_PLACEHOLDER_SID = re.compile(r"^(AC0+)?$")
EMAIL_BACKEND = "channels_app.outbox.mail.EmailBackend"


def twilio_configured() -> bool:
    """A real account, or an API at TWILIO_API_BASE_URL (a local fake is a provider too)."""
    return bool(settings.TWILIO_API_BASE_URL) or not _PLACEHOLDER_SID.match(settings.TWILIO_ACCOUNT_SID or "")


def email_configured() -> bool:
    return settings.EMAIL_BACKEND != EMAIL_BACKEND


def dev_outbox_active() -> bool:
    return not (twilio_configured() and email_configured())


def dev_outbox_record(
    *,
    channel: str,
    sender: str,
    recipients: list[str],
    text: str,
    subject: str = "",
    html: str = "",
    attachments: list[dict] | None = None,
    external_id: str = "",
) -> DevOutboxMessage:
    return DevOutboxMessage.objects.create(
        channel=channel,
        sender=sender[:320],
        recipients=", ".join(recipients)[:1000],
        subject=subject[:998],
        text=text,
        html=html,
        attachments=attachments or [],
        external_id=external_id[:255],
    )
