"""What the domain's changes mean to integrations: the outbound webhooks' events and
their payloads. tickets.events calls these beside its realtime events, inside the
change's transaction; customer merges call customer_merged."""

from __future__ import annotations

from typing import Any

from tickets.models import Direction, WebhookEvent
from tickets.services.webhooks import webhook_event_emit


def _ticket(ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "customer": ticket.customer_id,
        "assignee": ticket.assignee_id,
        "team": ticket.team_id,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def message_created(message) -> None:
    # Internal notes stay inside the helpdesk.
    if message.direction == Direction.NOTE:
        return
    ticket = message.ticket
    if message.direction == Direction.IN and ticket.created_at == message.created_at:
        # The pipeline opens a ticket and writes its first message at one instant.
        webhook_event_emit(event=WebhookEvent.TICKET_CREATED, data={"ticket": _ticket(ticket)})
    data = {
        "message": {
            "id": message.pk,
            "ticket": message.ticket_id,
            "customer": message.customer_id,
            "channel": message.channel,
            "direction": message.direction,
            "text": message.text,
            "is_automatic": message.is_automatic,
            "created_at": message.created_at.isoformat(),
        }
    }
    webhook_event_emit(event=WebhookEvent.MESSAGE_CREATED, data=data)


def ticket_changed(ticket, *, changes: dict[str, Any]) -> None:
    data = {"ticket": _ticket(ticket), "changes": changes}
    if changes.get("created"):
        event = WebhookEvent.TICKET_CREATED
    elif changes.get("survey_answered"):
        event = WebhookEvent.SURVEY_ANSWERED
    elif changes.get("status") == "resolved":
        event = WebhookEvent.TICKET_RESOLVED
    elif changes.get("status") == "open" and changes.get("from") == "resolved":
        event = WebhookEvent.TICKET_REOPENED
    else:
        event = WebhookEvent.TICKET_UPDATED
    webhook_event_emit(event=event, data=data)


def customer_merged(*, source_id: int, target_id: int) -> None:
    webhook_event_emit(event=WebhookEvent.CUSTOMER_MERGED, data={"source": source_id, "target": target_id})
