"""Names of stored choice values: for pages that show plain exported data, and the
labels of model fields on the pages that show many rows."""

from __future__ import annotations

from functools import cache

from django import template
from django.utils.translation import get_language

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


@register.filter
def choice_display(instance, field_name: str) -> str:
    """What `get_<field>_display()` shows, from labels translated once per field and
    language: the model's own method hashes and translates every choice on each call,
    which on a long list costs more than the rest of the row."""
    value = getattr(instance, field_name)
    return translated_labels(type(instance), field_name).get(value, value)


def translated_labels(model, field_name: str) -> dict:
    """The labels of a model field's choices by value, in the active language."""
    return _translated_labels(model, field_name, get_language())


@cache
def _translated_labels(model, field_name: str, language: str | None) -> dict:
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}
