"""What runs after inbound messages commit, for a batch of them at once: the
assignment of the tickets they opened, their sentiment, the SLA clocks and the
acknowledgements of new tickets, then the escalation rules. Each step reads what it
needs for the whole batch in a query or two; only the work a single ticket needs
(an assignment, an acknowledgement, a rule that fires) is done ticket by ticket.
Every step is safe to run twice, so the task that calls this may retry."""

from __future__ import annotations

from django.db.models import Min

from tickets.models import Direction, Message
from tickets.services.assignment import agents_available, tickets_auto_assign
from tickets.services.autoack import autoacks_send
from tickets.services.escalation import escalation_evaluate_many
from tickets.services.sentiment import sentiments_record
from tickets.services.sla import tickets_sla_start
from tickets.services.webhooks import webhook_subscriptions_read_once


def inbound_followups(*, message_ids: list[int]) -> None:
    # Auto-replies and survey answers (inbound automatic messages) are not contacts.
    messages = list(
        Message.objects.select_related("ticket__customer")
        .filter(pk__in=message_ids, direction=Direction.IN, is_auto_reply=False, is_automatic=False)
        .order_by("pk")
    )
    if not messages:
        return
    tickets = {message.ticket_id: message.ticket for message in messages}
    if agents_available():
        tickets_auto_assign(tickets=[message.ticket for message in _openers(messages)])
    sentiments_record(messages=messages)
    tickets_sla_start(tickets=list(tickets.values()))
    with webhook_subscriptions_read_once():
        autoacks_send(messages=messages)
    escalation_evaluate_many(ticket_ids=list(tickets), event="inbound")


def _openers(messages: list[Message]) -> list[Message]:
    """The messages that opened a ticket that has no assignee."""
    unassigned = {message.ticket_id for message in messages if message.ticket.assignee_id is None}
    first = dict(
        Message.objects.filter(ticket_id__in=unassigned, direction=Direction.IN)
        .values("ticket_id")
        .annotate(first=Min("pk"))
        .values_list("ticket_id", "first")
    )
    return [message for message in messages if first.get(message.ticket_id) == message.pk]
