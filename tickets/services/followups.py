"""What runs after an inbound message commits: the assignment of the ticket it
opened, its sentiment, the SLA clock and the acknowledgement of a new ticket, then
the escalation rules. Every step is safe to
run twice, so the task that calls this may retry."""

from __future__ import annotations

from tickets.models import Direction, Message
from tickets.services.assignment import ticket_auto_assign
from tickets.services.autoack import autoack_send
from tickets.services.escalation import escalation_evaluate
from tickets.services.sentiment import sentiment_record
from tickets.services.sla import ticket_sla_start


def inbound_followups(*, message_id: int) -> None:
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    # Auto-replies and survey answers (inbound automatic messages) are not contacts.
    if message is None or message.direction != Direction.IN or message.is_auto_reply or message.is_automatic:
        return
    if message.ticket.assignee_id is None and _opened_the_ticket(message):
        ticket_auto_assign(ticket=message.ticket)
    sentiment_record(message=message)
    ticket_sla_start(ticket=message.ticket)
    autoack_send(message=message)
    escalation_evaluate(ticket_id=message.ticket_id, event="inbound")


def _opened_the_ticket(message: Message) -> bool:
    return not Message.objects.filter(ticket_id=message.ticket_id, direction=Direction.IN, pk__lt=message.pk).exists()
