"""A chat message once the pipeline worker processes it: which conversation it joins
when the widget did not know its ticket yet, and what the visitor's widgets hear."""

from __future__ import annotations

import uuid

import pytest

from channels_app.chat.session import chat_message_accept, session_start
from tickets.models import ChatSessionLog, Message
from tickets.services.inbound_queue import inbound_events_process_pending

pytestmark = pytest.mark.django_db(transaction=True)


def _send(session, text: str, **fields) -> None:
    chat_message_accept(session=session, client_id=str(uuid.uuid4()), text=text, **fields)


def test_messages_sent_before_the_widget_knew_the_ticket_continue_the_visitors_conversation(accepted_not_processed):
    session, _ = session_start(name="Ann", email="ann@example.com")
    _send(session, "hello")
    assert inbound_events_process_pending() == 1
    _send(session, "my order is late")
    assert inbound_events_process_pending() == 1
    assert Message.objects.filter(channel="chat").values("ticket_id").distinct().count() == 1
    # Another visitor who claims the same address has a conversation of its own.
    stranger, _ = session_start(name="Ann", email="ann@example.com")
    _send(stranger, "hi")
    inbound_events_process_pending()
    tickets = dict(Message.objects.filter(channel="chat").values_list("metadata__visitor", "ticket_id"))
    assert tickets[stranger.visitor] != tickets[session.visitor]
    assert ChatSessionLog.objects.filter(ended_at=None).count() == 2


def test_a_closed_conversation_is_not_continued(accepted_not_processed):
    session, _ = session_start(name="Ann")
    _send(session, "hello")
    inbound_events_process_pending()
    first = Message.objects.get()
    first.ticket.status = first.ticket.Status.CLOSED
    first.ticket.save(update_fields=["status"])
    _send(session, "back again")
    inbound_events_process_pending()
    assert Message.objects.exclude(pk=first.pk).get().ticket_id != first.ticket_id
