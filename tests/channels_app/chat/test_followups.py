"""A chat message once the pipeline worker processes it: which conversation it joins
when the widget did not know its ticket yet, and what the visitor's widgets hear."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.chat.session import (
    ChatReceipt,
    chat_message_accept,
    chat_message_ingest,
    chat_message_stored,
    session_start,
)
from tickets.models import ChatSessionLog, ContactIdentity, Customer, IdentityClaim, Message, Ticket
from tickets.services.chat_sessions import chat_session_end
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


def test_after_the_session_ended_the_widgets_next_message_continues_the_conversation(accepted_not_processed):
    session, _ = session_start(name="Ann", email="ann@example.com")
    _send(session, "hello")
    inbound_events_process_pending()
    ticket_id = Message.objects.get().ticket_id
    chat_session_end(ticket_id=ticket_id, reason=ChatSessionLog.EndReason.IDLE)
    # The widget was reloaded and forgot the ticket: the visitor's conversation goes on, in a new session.
    _send(session, "still there?")
    inbound_events_process_pending()
    assert set(Message.objects.values_list("ticket_id", flat=True)) == {ticket_id}
    assert list(ChatSessionLog.objects.filter(ticket_id=ticket_id).values_list("ended_at", flat=True)).count(None) == 1


def test_an_offline_message_is_not_the_conversation_the_widget_continues(accepted_not_processed):
    session, _ = session_start(name="Ann", email="ann@example.com")
    chat_message_ingest(session=session, client_id=str(uuid.uuid4()), text="nobody was online", metadata={"offline": True})
    _send(session, "hello")
    inbound_events_process_pending()
    assert Message.objects.values("ticket_id").distinct().count() == 2


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="SQLite appends each ticket's words to its search document alone"
)
def test_a_batch_of_chat_messages_takes_as_many_statements_for_forty_visitors_as_for_ten(
    accepted_not_processed, settings
):
    # The follow-ups run here too (eager Celery), but not the sends of acknowledgements.
    settings.HELPDESK_AUTOACK_ENABLED = False
    known = Customer.objects.create(name="Ann")
    ContactIdentity.objects.create(customer=known, kind="email", address="ann@example.com", lookup_key="ann@example.com")

    def statements(sessions) -> int:
        # Each visitor's message and the next, sent before the widget knew the ticket;
        # every message claims the pre-chat address (again).
        for session in sessions:
            _send(session, "hello")
            _send(session, "my order is late")
        with CaptureQueriesContext(connection) as queries:
            assert inbound_events_process_pending() == 2 * len(sessions)
        return len(queries)

    def visitors(count: int, email: str) -> list:
        return [session_start(name=f"Visitor {n}", email=email.format(n=n))[0] for n in range(count)]

    few, many = visitors(5, "ann@example.com"), visitors(20, "visitor{n}@example.com")
    assert statements(few) == statements(many)
    # Their next messages find the conversations, sessions and claims they started.
    assert statements(few) == statements(many)
    assert Ticket.objects.count() == 25 and ChatSessionLog.objects.filter(ended_at=None).count() == 25
    claims = IdentityClaim.objects.all()
    assert claims.count() == 25 and claims.filter(may_be=known).count() == 5


def test_a_resent_message_is_found_with_its_ids_in_one_query(accepted_not_processed, django_assert_num_queries):
    session, _ = session_start(name="Ann")
    client_id = str(uuid.uuid4())
    with django_assert_num_queries(1):
        assert chat_message_stored(client_id=client_id) is None
    chat_message_accept(session=session, client_id=client_id, text="hello")
    with django_assert_num_queries(1):
        assert chat_message_stored(client_id=client_id) == ChatReceipt(message_id=None, ticket_id=None)
    inbound_events_process_pending()
    message = Message.objects.get()
    with django_assert_num_queries(1):
        assert chat_message_stored(client_id=client_id) == ChatReceipt(message_id=message.pk, ticket_id=message.ticket_id)
