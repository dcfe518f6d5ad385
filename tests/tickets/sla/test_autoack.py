"""The acknowledgement of a new ticket: once, on the customer's channel, with the
time to expect an answer, never for an auto-reply, never counted as a response."""

import pytest

from tests.tickets.sla.helpers import deliver_now
from tickets.models import Message, SLAPolicy, TicketSLA

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def deliver(*args, **kwargs):
        return deliver_now(django_capture_on_commit_callbacks, *args, **kwargs)

    return deliver


def _acks(ticket):
    return list(Message.objects.filter(ticket=ticket, direction="out", is_automatic=True, metadata__autoack=True))


def test_in_business_hours_the_ack_gives_the_target(clock, office_calendar, run, outbox):
    SLAPolicy.objects.create(name="All", first_response_minutes=30, resolution_minutes=600)
    clock.set("2026-11-24 10:00")
    ticket = run("sms", "+66850000001", "Hello?").ticket
    run("sms", "+66850000001", "Anyone there?")  # the same ticket: no second acknowledgement
    acks = _acks(ticket)
    assert len(acks) == 1
    assert acks[0].channel == "sms" and ticket.reference in acks[0].text
    assert "within 30 minutes" in acks[0].text
    assert [m.pk for m in outbox] == [acks[0].pk]
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.agent_reply_count == 0
    assert TicketSLA.objects.get(ticket=ticket).autoack_sent_at is not None


def test_out_of_hours_the_ack_says_when(clock, office_calendar, run):
    SLAPolicy.objects.create(name="All", first_response_minutes=60, resolution_minutes=600)
    clock.set("2026-11-20 20:00")  # Friday evening; Monday is a holiday
    ticket = run("email", "late@example.com", "Help", subject="Help").ticket
    (ack,) = _acks(ticket)
    assert "Tuesday 24 November, 10:00" in ack.text


def test_no_ack_for_auto_replies_or_chat(clock, run, settings):
    clock.set("2026-11-24 10:00")
    ticket = run("email", "ooo@example.com", "Hello", subject="Question").ticket
    assert len(_acks(ticket)) == 1
    run("email", "ooo@example.com", "I am out of the office", subject=f"Re: Question [{ticket.reference}]", is_auto_reply=True)
    assert len(_acks(ticket)) == 1
    chat = run("chat", "chat:visitor-1", "hi").ticket
    assert _acks(chat) == []
