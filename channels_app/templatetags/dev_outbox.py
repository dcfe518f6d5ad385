from django import template

from channels_app.outbox.store import dev_outbox_active

register = template.Library()


@register.simple_tag
def dev_outbox_shown() -> bool:
    """Whether the console links to the dev outbox: while some channel delivers there."""
    return dev_outbox_active()
