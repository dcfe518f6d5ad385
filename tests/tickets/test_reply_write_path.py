"""A reply's write path: the FCR facts it keeps are the definition's, whether saved with
the reply's count (an unresolved ticket) or recomputed (a resolved one), and the API
answers a reply from what it wrote, without reading the message back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import deliver
from tickets.models import KPIDirtyDay, Ticket
from tickets.services.kpi_facts import fcr_facts_stale, ticket_fcr_facts_refresh
from tickets.services.kpi_rollups import local_day
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    return deliver("email", "malee@example.com", "Where is my parcel?", sender_name="Malee").message.ticket


def _facts(ticket: Ticket) -> tuple[bool, object]:
    ticket.refresh_from_db()
    return ticket.fcr_one_contact, ticket.repeat_contact_at


def test_replies_to_an_open_ticket_keep_the_facts_without_recomputing_them(ticket, agent):
    with CaptureQueriesContext(connection) as captured:
        reply_create(ticket=ticket, author=agent, text="It left the warehouse today.")
    # Saved with the reply's count: no UPDATE of the definition's subqueries.
    assert not [q for q in captured.captured_queries if "tickets_chatsessionlog" in q["sql"]]
    # Its delivery and its escalation check: one outbox INSERT.
    assert len([q for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "tickets_outboxitem"')]) == 1
    assert _facts(ticket) == (True, None)
    reply_create(ticket=ticket, author=agent, text="And it arrives tomorrow.")
    assert _facts(ticket) == (False, None)
    assert list(fcr_facts_stale(Ticket.objects.filter(pk=ticket.pk))) == []


def test_a_reply_to_a_resolved_ticket_recomputes_the_facts_and_marks_its_day(ticket, agent):
    reply_create(ticket=ticket, author=agent, text="It left the warehouse today.")
    ticket.refresh_from_db()
    ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    assert _facts(ticket) == (True, None)
    KPIDirtyDay.objects.all().delete()
    reply_create(ticket=ticket, author=agent, text="One more thing: keep the receipt.")
    assert _facts(ticket) == (False, None)
    assert set(KPIDirtyDay.objects.values_list("day", flat=True)) == {local_day(ticket.resolved_at)}
    assert list(fcr_facts_stale(Ticket.objects.filter(pk=ticket.pk))) == []


def test_the_refresh_marks_the_days_of_resolved_tickets_only(ticket, agent):
    other = deliver("sms", "+66812345678", "Hello").message.ticket
    ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    KPIDirtyDay.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        ticket_fcr_facts_refresh(ticket_ids=[ticket.pk, other.pk, ticket.pk])
    # The UPDATE returns the resolution days: no SELECT after it.
    assert [q["sql"].split(" ", 1)[0] for q in captured.captured_queries] == ["UPDATE", "INSERT"]
    assert list(KPIDirtyDay.objects.values_list("day", flat=True)) == [local_day(ticket.resolved_at)]


def test_the_api_answers_a_reply_as_written(agent_client, ticket):
    url = f"/api/v1/tickets/{ticket.pk}/messages/"
    with CaptureQueriesContext(connection) as captured:
        answer = agent_client.post(url, {"text": "It arrives tomorrow.", "status": "pending"}, format="json")
    assert answer.status_code == 201, answer.json()
    message_reads = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "tickets_message"."id"')
    ]
    assert message_reads == [], message_reads
    listed = {m["id"]: m for m in agent_client.get(url).json()["results"]}
    assert answer.json() == listed[answer.json()["id"]]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.agent_reply_count, ticket.fcr_one_contact) == ("pending", 1, True)
