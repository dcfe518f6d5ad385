"""Twilio's status callbacks move the outbound message's delivery status forward."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tests.channels_app.twilio.twilio_posts import post_twilio
from tests.factories import deliver
from tickets.models import Message
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db
STATUS = "/webhooks/twilio/status/"
SID = "SM" + "a" * 32


@pytest.fixture
def reply(agent):
    ticket = deliver("sms", "+66812345678", "help").ticket
    # The delivery task runs on commit, which never comes inside the test's
    # transaction: the reply is stored as if it had been handed to Twilio.
    message = reply_create(ticket=ticket, author=agent, text="On it", channel="sms")
    Message.objects.filter(pk=message.pk).update(delivery_status="sent", external_id=SID)
    message.refresh_from_db()
    return message


def _callback(status: str, **extra) -> int:
    params = {"MessageSid": SID, "SmsSid": SID, "MessageStatus": status, "AccountSid": "AC1", **extra}
    return post_twilio(Client(), STATUS, params).status_code


def test_statuses_move_forward_and_never_back(reply):
    assert _callback("delivered") == 200
    reply.refresh_from_db()
    assert reply.delivery_status == "delivered" and reply.delivered_at is not None

    # Twilio's callbacks may arrive out of order: a late "sent" or "queued" changes nothing.
    assert _callback("sent") == 200
    assert _callback("queued") == 200
    reply.refresh_from_db()
    assert reply.delivery_status == "delivered"


def test_undelivered_with_twilios_error_code(reply):
    assert _callback("undelivered", ErrorCode="30003", ErrorMessage="Unreachable destination handset") == 200

    reply.refresh_from_db()
    assert reply.delivery_status == "undelivered"
    assert (reply.delivery_error_code, reply.delivery_error) == ("30003", "30003 - Unreachable destination handset")


def test_whatsapp_read_receipt(agent):
    ticket = deliver("whatsapp", "whatsapp:+66812345678", "hi").ticket
    message = reply_create(ticket=ticket, author=agent, text="Hello", channel="whatsapp")
    Message.objects.filter(pk=message.pk).update(delivery_status="sent", external_id=SID)

    assert _callback("read") == 200

    message.refresh_from_db()
    assert message.delivery_status == "read" and message.read_at is not None


def test_callback_found_by_idempotency_key_before_the_send_was_recorded(agent):
    ticket = deliver("sms", "+66812345678", "help").ticket
    message = reply_create(ticket=ticket, author=agent, text="On it", channel="sms")
    Message.objects.filter(pk=message.pk).update(delivery_status="sending")
    path = f"{STATUS}?key={message.idempotency_key}"

    response = post_twilio(Client(), path, {"MessageSid": SID, "MessageStatus": "sent"})

    assert response.status_code == 200
    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", SID)


@pytest.mark.parametrize("status", ["delivered", "no-such-status"])
def test_unknown_message_or_status_is_acknowledged_and_ignored(db, status, caplog):
    with caplog.at_level(logging.INFO, logger="channels_app.twilio.status"):
        assert _callback(status) == 200
    assert "ignored" in caplog.text


def test_bad_key_in_the_url_falls_back_to_the_sid(reply):
    response = post_twilio(Client(), f"{STATUS}?key=not-a-uuid", {"MessageSid": SID, "MessageStatus": "delivered"})

    assert response.status_code == 200
    reply.refresh_from_db()
    assert reply.delivery_status == "delivered"


def test_unsigned_callback_is_refused(reply):
    response = post_twilio(Client(), STATUS, {"MessageSid": SID, "MessageStatus": "failed"}, signature="forged")

    assert response.status_code == 403
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"


def test_a_refused_send_stays_failed_whatever_a_late_callback_says(reply):
    Message.objects.filter(pk=reply.pk).update(
        delivery_status="failed", delivery_error_code="21211", delivery_error="the phone number is not valid"
    )
    path = f"{STATUS}?key={reply.idempotency_key}"

    response = post_twilio(Client(), path, {"MessageSid": SID, "MessageStatus": "delivered"})

    assert response.status_code == 200
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code, reply.delivery_error) == (
        "failed",
        "21211",
        "the phone number is not valid",
    )
