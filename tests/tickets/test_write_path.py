"""The write path on PostgreSQL, with real concurrency: entry points accept events
from many threads at once, several pipeline workers process them, and a customer's
messages on one channel still land in order, in one ticket, acknowledged once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import pipeline_worker
from tickets.inbound import InboundMessage
from tickets.models import Direction, InboundEvent, Message, MessageSentiment, OutboxItem, Ticket
from tickets.services.customers import customer_resolve
from tickets.services.inbound_queue import inbound_events_process_pending
from tickets.services.ingest import inbound_accept
from tickets.services.outbox import outbox_relay

CUSTOMERS = 20
MESSAGES_EACH = 3
PROCESSORS = 3


@pytest.fixture
def accepted_not_processed(monkeypatch):
    """Entry points only accept, as with a broker; the test plays the pipeline workers.
    Follow-up tasks still run in-process (eager Celery), when the outbox relays them."""
    monkeypatch.setattr(pipeline_worker, "runs_inline", lambda: False)
    monkeypatch.setattr(pipeline_worker, "wake", lambda: None)


def _in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait()
        try:
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _process_until_empty(_index: int) -> int:
    processed = 0
    while InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).exists():
        # Small batches, so that the processors interleave on the same conversations.
        processed += inbound_events_process_pending(limit=7)
    return processed


def phone(number: int) -> str:
    return f"+6681{number:07d}"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="advisory locks and SKIP LOCKED are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_messages_per_customer_opens_one_ticket_each_in_order(accepted_not_processed, settings):
    settings.HELPDESK_AUTOACK_CHANNELS = ["whatsapp"]
    for number in range(CUSTOMERS):
        customer_resolve(sender=f"whatsapp:{phone(number)}", name=f"Customer {number}")

    def send(index: int) -> int:
        number, part = divmod(index, MESSAGES_EACH)
        msg = InboundMessage(
            channel="whatsapp", external_id=f"SMburst{index:06d}", sender=f"whatsapp:{phone(number)}",
            text=f"part {part}",
        )  # fmt: skip
        return inbound_accept(msg).event.pk

    # Every message of every customer at once, as people type: three lines in a second.
    _in_threads(CUSTOMERS * MESSAGES_EACH, send)
    assert InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).count() == CUSTOMERS * MESSAGES_EACH

    processed = _in_threads(PROCESSORS, _process_until_empty)

    assert sum(processed) == CUSTOMERS * MESSAGES_EACH
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {InboundEvent.Status.PROCESSED}
    tickets = Ticket.objects.filter(channel="whatsapp")
    assert tickets.count() == CUSTOMERS
    for ticket in tickets:
        inbound = list(
            Message.objects.filter(ticket=ticket, direction=Direction.IN).order_by("pk").values_list("event_id", flat=True)
        )
        # In the order the events were accepted, one after another.
        assert len(inbound) == MESSAGES_EACH and inbound == sorted(inbound)
        acknowledgements = Message.objects.filter(ticket=ticket, direction=Direction.OUT, is_automatic=True)
        assert acknowledgements.count() == 1, ticket
    # Every follow-up ran once: one sentiment score per inbound message, nothing left over.
    assert MessageSentiment.objects.count() == CUSTOMERS * MESSAGES_EACH
    assert not OutboxItem.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_accepted_event_is_processed_by_the_next_pass_and_its_follow_ups_relayed(accepted_not_processed):
    msg = InboundMessage(channel="sms", external_id="SMaccepted0001", sender=phone(1), text="Where is my parcel?")
    result = inbound_accept(msg)

    assert result.status == InboundEvent.Status.RECEIVED and result.message is None
    assert not Message.objects.exists()
    assert inbound_events_process_pending() == 1
    message = Message.objects.get(direction=Direction.IN)
    assert message.text == "Where is my parcel?" and message.event_id == result.event.pk
    # The follow-ups were handed over on commit; a second relay finds nothing to send.
    assert MessageSentiment.objects.filter(message=message).exists()
    assert outbox_relay() == 0
    # A redelivery is accepted again and changes nothing.
    inbound_accept(InboundMessage(channel="sms", external_id="SMaccepted0001", sender=phone(1), text="again"))
    assert inbound_events_process_pending() == 1
    assert Message.objects.filter(direction=Direction.IN).count() == 1
    assert InboundEvent.objects.filter(status=InboundEvent.Status.DUPLICATE).count() == 1


def _accept_sms(numbers, *, prefix: str) -> None:
    for number in numbers:
        inbound_accept(InboundMessage(channel="sms", external_id=f"{prefix}{number:06d}", sender=phone(number), text="hello"))


@pytest.mark.django_db(transaction=True)
def test_a_batch_takes_as_many_statements_for_forty_messages_as_for_ten(accepted_not_processed, settings):
    # The follow-ups run here too (eager Celery), but not the sends of acknowledgements.
    settings.HELPDESK_AUTOACK_ENABLED = False

    def statements(numbers) -> int:
        _accept_sms(numbers, prefix="SMsize")
        with CaptureQueriesContext(connection) as queries:
            assert inbound_events_process_pending() == len(numbers)
        return len(queries)

    assert statements(range(10)) == statements(range(100, 140))
    assert Ticket.objects.count() == 50


@pytest.mark.django_db(transaction=True)
def test_an_event_that_fails_leaves_the_rest_of_its_batch_processed(accepted_not_processed):
    _accept_sms(range(5), prefix="SMok")
    inbound_accept(InboundMessage(channel="sms", external_id="SMbad", sender=phone(9), text="hi", customer_id=999_999))
    _accept_sms(range(5, 8), prefix="SMok")

    assert inbound_events_process_pending() == 9

    statuses = dict(InboundEvent.objects.values_list("external_id", "status"))
    assert statuses.pop("SMbad") == InboundEvent.Status.FAILED
    assert set(statuses.values()) == {InboundEvent.Status.PROCESSED}
    assert Message.objects.filter(direction=Direction.IN, external_id__startswith="SMok").count() == 8
