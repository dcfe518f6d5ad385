"""What an inbound message writes, where the volume grows with the tables: its key
sorts after the keys before it (a random one dirtied a random page of a large unique
index), and a ticket it opens gets its search document in one write."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import deliver
from tickets.models import Ticket
from tickets.selectors.search import ticket_search
from tickets.services.message_keys import message_key
from tickets.services.replies import reply_create
from tickets.services.rows_update import rows_update

pytestmark = pytest.mark.django_db


def test_message_keys_are_uuid7_in_the_order_they_were_made():
    keys = [message_key() for _ in range(2000)]
    assert {key.version for key in keys} == {7} and len(set(keys)) == len(keys)
    # Within a millisecond the random bits order them; across milliseconds, time does.
    assert [key.int >> 80 for key in keys] == sorted(key.int >> 80 for key in keys)


def test_inbound_messages_and_replies_get_time_ordered_keys(agent):
    first = deliver("sms", "+66812345678", "Where is my parcel?").message
    second = deliver("email", "malee@example.com", "And my invoice?").message
    reply = reply_create(ticket=first.ticket, author=agent, text="On its way.")
    keys = [first.idempotency_key, second.idempotency_key, reply.idempotency_key]
    assert {key.version for key in keys} == {7}
    assert [key.int >> 80 for key in keys] == sorted(key.int >> 80 for key in keys)


def test_a_ticket_opened_by_a_message_gets_its_document_in_one_write():
    with CaptureQueriesContext(connection) as captured:
        message = deliver("email", "malee@example.com", "The courier left the sofa outside", subject="Sofa").message
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if "tickets_ticketsearchdocument" in q["sql"] and not q["sql"].startswith("SELECT")
    ]
    assert len(writes) == 1, writes
    for words in ["courier sofa", "malee@example.com"]:
        assert list(ticket_search(Ticket.objects.all(), words).values_list("pk", flat=True)) == [message.ticket_id]
    # A second message of the same conversation appends its words.
    deliver("email", "malee@example.com", "It is raining", subject="Re: Sofa", in_reply_to=message.external_id)
    assert list(ticket_search(Ticket.objects.all(), "raining").values_list("pk", flat=True)) == [message.ticket_id]


def test_rows_update_saves_each_rows_own_values_in_one_statement():
    tickets = [deliver("sms", f"+6681234567{n}", "hello").message.ticket for n in range(3)]
    base = tickets[0].created_at
    for n, ticket in enumerate(tickets):
        ticket.updated_at, ticket.last_inbound_at = base + timedelta(minutes=n), None if n == 1 else base
    with CaptureQueriesContext(connection) as captured:
        rows_update(tickets, ["updated_at", "last_inbound_at"])
    assert len(captured.captured_queries) == 1 and "CASE" not in captured.captured_queries[0]["sql"]
    stored = dict(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("pk", "updated_at"))
    assert [stored[t.pk] for t in tickets] == [base + timedelta(minutes=n) for n in range(3)]
    assert Ticket.objects.get(pk=tickets[1].pk).last_inbound_at is None
    rows_update([], ["updated_at"])  # nothing to write: no statement
