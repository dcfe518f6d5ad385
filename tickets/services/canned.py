"""Canned responses and macros. Placeholders are substituted as plain text by a
fixed table, never by a template engine: a customer named "{{ settings.SECRET_KEY }}"
or "{% debug %}" stays exactly that string."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import transaction

from tickets.models import Macro, Message, Ticket
from tickets.services import tickets as ticket_services
from tickets.services.console import console_reply_send

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def _agent_name(agent) -> str:
    if agent is None:
        return ""
    return agent.get_full_name() or agent.get_username()


def _placeholder_values(*, ticket: Ticket, agent) -> dict[str, Callable[[], str]]:
    return {
        "customer.name": lambda: ticket.customer.name or "",
        "ticket.reference": lambda: ticket.reference,
        "ticket.subject": lambda: ticket.subject,
        "agent.name": lambda: _agent_name(agent),
        "agent.first_name": lambda: getattr(agent, "first_name", "") or _agent_name(agent),
    }


def placeholders_render(*, body: str, ticket: Ticket, agent) -> str:
    """One pass over the body: substituted values are never scanned again, and
    unknown placeholders are left as they were written."""
    values = _placeholder_values(ticket=ticket, agent=agent)

    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return value() if value is not None else match.group(0)

    return PLACEHOLDER.sub(substitute, body)


@transaction.atomic
def macro_apply(*, macro: Macro, ticket: Ticket, actor, channel: str | None = None) -> Message | None:
    """Sends the macro's reply (if it has one), then sets status, priority and tags."""
    message = None
    if macro.reply_body.strip():
        text = placeholders_render(body=macro.reply_body, ticket=ticket, agent=actor)
        message = console_reply_send(ticket=ticket, author=actor, text=text, channel=channel)
        ticket.refresh_from_db()
    if macro.set_priority:
        ticket_services.ticket_set_priority(ticket=ticket, priority=macro.set_priority, actor=actor)
    if macro.add_tags:
        ticket_services.ticket_add_tags(ticket=ticket, names=[str(name) for name in macro.add_tags], actor=actor)
    if macro.set_status:
        ticket_services.ticket_set_status(ticket=ticket, status=macro.set_status, actor=actor)
    return message
