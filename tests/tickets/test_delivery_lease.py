"""The lease on a send: a claim holds it for HELPDESK_SEND_LEASE_S, recording any
status ends it, and the sweep settles the sends whose lease ran out, never by a
blind resend. The crash of a real worker is in test_send_crash.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import deliver
from tickets.delivery_errors import DELIVERY_ERROR_EXPLANATIONS
from tickets.models import Direction, Message
from tickets.services.delivery import INTERRUPTED, delivery_claim, delivery_record, delivery_sweep_interrupted

pytestmark = pytest.mark.django_db


def _queued(channel: str, sender: str) -> Message:
    inbound = deliver(channel, sender, "help").message
    return Message.objects.create(
        ticket=inbound.ticket, customer=inbound.customer, channel=channel, direction=Direction.OUT, text="Hello",
        delivery_status=Message.DeliveryStatus.QUEUED,
    )  # fmt: skip


def _expire(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(delivery_lease_until=timezone.now() - timedelta(seconds=1))


def test_a_claim_holds_a_lease_until_a_status_is_recorded(settings):
    settings.HELPDESK_SEND_LEASE_S = 120
    message = _queued("email", "someone@example.com")
    before = timezone.now()
    claimed = delivery_claim(message_id=message.pk)
    assert claimed.delivery_status == "sending"
    assert before + timedelta(seconds=119) < claimed.delivery_lease_until < timezone.now() + timedelta(seconds=121)
    assert delivery_claim(message_id=message.pk) is None
    delivery_record(message=claimed, status="sent", external_id="<x@example.com>")
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_lease_until) == ("sent", None)


def test_a_live_lease_is_left_alone():
    message = _queued("email", "someone@example.com")
    delivery_claim(message_id=message.pk)
    assert delivery_sweep_interrupted() == 0
    message.refresh_from_db()
    assert message.delivery_status == "sending"


def test_an_interrupted_email_is_marked_failed_for_the_agent_not_resent(mailoutbox):
    message = _queued("email", "someone@example.com")
    delivery_claim(message_id=message.pk)
    _expire(message)
    assert delivery_sweep_interrupted() == 1
    assert delivery_sweep_interrupted() == 0
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error_code) == ("failed", INTERRUPTED)
    assert message.delivery_lease_until is None
    assert mailoutbox == []
    assert "Check with the customer" in str(DELIVERY_ERROR_EXPLANATIONS[INTERRUPTED])


def test_an_interrupted_chat_reply_is_published_again(django_capture_on_commit_callbacks):
    message = _queued("chat", "chat:visitor-lease-1")
    Message.objects.filter(pk=message.pk).update(metadata={})
    inbound = Message.objects.filter(ticket=message.ticket, direction="in").first()
    Message.objects.filter(pk=inbound.pk).update(metadata={"visitor": "visitor-lease-1"})
    delivery_claim(message_id=message.pk)
    _expire(message)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_sweep_interrupted() == 1
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts) == ("sent", 2)
