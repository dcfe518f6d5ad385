"""Automatic replies, and the sends of outbound messages: each queued message is
handed to the delivery task (tickets.tasks.deliver_message) through the outbox,
or to a thread of this process where tasks run eagerly."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from tickets import events
from tickets.models import Direction, Message, Ticket
from tickets.services.message_keys import message_key
from tickets.services.outbox import outbox_tasks
from tickets.services.sanitize import strip_control_chars


@dataclass(frozen=True)
class AutomaticReply:
    ticket: Ticket
    text: str
    channel: str
    metadata: dict


def automatic_replies_create(replies: list[AutomaticReply]) -> list[Message]:
    """Automatic public replies (acknowledgements) to many tickets, written at once:
    one INSERT for the messages, one UPDATE for the tickets, one for their sends.
    They are never a response, so of a ticket only its update time changes."""
    now = timezone.now()
    messages = Message.objects.bulk_create(
        Message(
            ticket=reply.ticket,
            customer_id=reply.ticket.customer_id,
            channel=reply.channel,
            direction=Direction.OUT,
            subject=reply.ticket.subject,
            text=strip_control_chars(reply.text).strip(),
            is_automatic=True,
            delivery_status=Message.DeliveryStatus.QUEUED,
            metadata=reply.metadata,
            created_at=now,
            idempotency_key=message_key(),
        )
        for reply in replies
        if reply.ticket.status != Ticket.Status.CLOSED
    )
    Ticket.objects.filter(pk__in=[message.ticket_id for message in messages]).update(updated_at=now)
    for message in messages:
        message.ticket.updated_at = now
        events.publish_message_created(message)
    deliveries_enqueue(messages)
    return messages


def deliveries_enqueue(messages: list[Message]) -> None:
    """The sends of queued outbound messages, after the commit that stored them."""
    if getattr(settings, "HELPDESK_SEND_IN_BACKGROUND", False):
        for message_id in [message.pk for message in messages]:
            transaction.on_commit(lambda message_id=message_id: _deliver_in_background(message_id))
    else:
        # Through the outbox: a broker outage delays the send and never loses it.
        outbox_tasks("tickets.tasks.deliver_message", [[message.pk] for message in messages])


def _deliver_in_background(message_id: int) -> None:
    """With tasks run eagerly (no broker: `make run`), a send and its retries would
    hold the agent's request; a thread of this process takes them instead, and the
    console follows the status through the realtime events. With a broker the task
    is queued as usual."""
    from tickets.tasks import deliver_message

    def run() -> None:
        try:
            deliver_message.apply(args=[message_id])
        finally:
            close_old_connections()
            connection.close()

    threading.Thread(target=run, name=f"deliver-{message_id}", daemon=True).start()
