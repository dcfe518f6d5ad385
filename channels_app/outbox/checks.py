"""A production helpdesk whose mail or SMS would land in the dev outbox is told so:
its customers would never get them. `make run` and the test servers, which set
HELPDESK_ALLOW_DEV_SECRETS (or DEBUG), are the dev outbox's place."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from channels_app.outbox.store import email_configured, twilio_configured


@checks.register(checks.Tags.compatibility)
def dev_outbox_in_production(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if settings.DEBUG or getattr(settings, "HELPDESK_ALLOW_DEV_SECRETS", False):
        return []
    warnings = []
    if not email_configured():
        warnings.append(
            checks.Warning(
                "No mail server is configured: outbound email goes to the dev outbox, not to customers.",
                hint="Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD…) or EMAIL_BACKEND.",
                id="channels_app.W001",
            )
        )
    if not twilio_configured():
        warnings.append(
            checks.Warning(
                "No Twilio account is configured: SMS and WhatsApp go to the dev outbox, not to customers.",
                hint="Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and the sending numbers.",
                id="channels_app.W002",
            )
        )
    return warnings
