from django import template

from channels_app.outbox.store import dev_outbox_active, email_configured, twilio_configured

register = template.Library()


@register.simple_tag
def dev_outbox_shown() -> bool:
    """Whether the console links to the dev outbox: while some channel delivers there."""
    return dev_outbox_active()


@register.simple_tag
def dev_outbox_has(channel: str) -> bool:
    """Whether what the helpdesk sends on `channel` ("email", "sms") lands in the dev outbox."""
    return not (email_configured() if channel == "email" else twilio_configured())
