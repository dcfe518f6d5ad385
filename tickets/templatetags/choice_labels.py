"""Names of stored choice values, for pages that show plain exported data."""

from __future__ import annotations

from django import template

from tickets.models import Channel, ContactIdentity, Survey, Ticket

register = template.Library()

_CHOICES = {
    "channel": Channel,
    "ticket_status": Ticket.Status,
    "identity_kind": ContactIdentity.Kind,
    "survey_status": Survey.Status,
}


@register.filter
def choice_label(value: str, choices: str) -> str:
    """The translated name of a value of one of the choices above; an unknown value as it is."""
    try:
        return _CHOICES[choices](value).label
    except ValueError:
        return value
