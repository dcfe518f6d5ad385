"""Replies go out through the twilio SDK to a fake Twilio API over real HTTP, from
the real delivery task (run eagerly), with Twilio's errors mapped to retries or
failures the agent can read."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from channels_app.twilio.outbound import UNCONFIRMED_ATTEMPT
from channels_app.twilio.tasks import lookup_lost_answer
from channels_app.twilio.window import whatsapp_window_closes_at, whatsapp_window_open
from tests.channels_app.twilio.twilio_posts import post_twilio, sms_params
from tests.factories import deliver
from tickets.models import Attachment, ContactIdentity, Message
from tickets.registry import TransientSendError
from tickets.services.delivery import message_deliver
from tickets.services.replies import reply_create
from tickets.tasks import MAX_SEND_RETRIES, deliver_message

pytestmark = pytest.mark.django_db


def _reply(django_capture_on_commit_callbacks, agent, *, channel: str, text: str = "ขอบคุณครับ", **fields) -> Message:
    ticket = deliver(channel, "whatsapp:+66812345678" if channel == "whatsapp" else "+66812345678", "help").ticket
    with django_capture_on_commit_callbacks(execute=True):
        message = reply_create(ticket=ticket, author=agent, text=text, channel=channel, **fields)
    message.refresh_from_db()
    return message


def test_sms_reply_is_sent_once_with_the_status_callback(fake_twilio, agent, django_capture_on_commit_callbacks):
    message = _reply(django_capture_on_commit_callbacks, agent, channel="sms")

    assert len(fake_twilio.sent) == 1
    sent = fake_twilio.sent[0]
    assert sent.auth == (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    assert sent.form["To"] == ["+66812345678"]
    assert sent.form["From"] == [settings.TWILIO_SMS_FROM]
    assert sent.form["Body"] == ["ขอบคุณครับ"]
    callback = urlsplit(sent.form["StatusCallback"][0])
    assert (
        f"{callback.scheme}://{callback.netloc}{callback.path}"
        == settings.HELPDESK_PUBLIC_URL + "/webhooks/twilio/status/"
    )
    assert parse_qs(callback.query)["key"] == [str(message.idempotency_key)]
    assert message.delivery_status == "sent"
    assert message.external_id.startswith("SM") and len(message.external_id) == 34


def test_running_the_delivery_task_twice_sends_once(fake_twilio, agent, django_capture_on_commit_callbacks):
    message = _reply(django_capture_on_commit_callbacks, agent, channel="sms")

    deliver_message.delay(message.pk)
    deliver_message.apply(args=[message.pk])

    assert len(fake_twilio.sent) == 1
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts) == ("sent", 1)


def test_transient_failures_are_retried_then_sent(fake_twilio, agent, django_capture_on_commit_callbacks):
    fake_twilio.fail_next(500, 20500, "Internal Server Error")
    fake_twilio.fail_next(429, 20429, "Too Many Requests")

    message = _reply(django_capture_on_commit_callbacks, agent, channel="sms")

    assert len(fake_twilio.sent) == 3
    assert (message.delivery_status, message.delivery_attempts, message.delivery_error) == ("sent", 3, "")


def test_a_send_that_keeps_failing_ends_failed_with_the_reason(fake_twilio, agent, django_capture_on_commit_callbacks):
    fake_twilio.fail_next(503, None, "Service Unavailable", times=MAX_SEND_RETRIES + 1)

    message = _reply(django_capture_on_commit_callbacks, agent, channel="sms")

    assert len(fake_twilio.sent) == MAX_SEND_RETRIES + 1
    assert message.delivery_status == "failed"
    assert message.delivery_error_code == "503"
    assert message.delivery_error == "Twilio is unavailable (503): Service Unavailable"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (21211, "Twilio refused the message: the phone number is not valid (Invalid 'To' Phone Number)"),
        (
            21610,
            "Twilio refused the message: the customer unsubscribed (replied STOP) (Attempt to send to unsubscribed recipient)",
        ),
    ],
)
def test_a_refused_send_fails_at_once_with_twilios_code(
    fake_twilio, agent, django_capture_on_commit_callbacks, code, reason
):
    fake_twilio.fail_next(400, code, reason.rsplit(" (", 1)[1].rstrip(")"))

    message = _reply(django_capture_on_commit_callbacks, agent, channel="sms")

    assert len(fake_twilio.sent) == 1
    assert (message.delivery_status, message.delivery_error_code, message.delivery_error) == (
        "failed",
        str(code),
        reason,
    )


def test_an_unreachable_twilio_is_a_transient_error(fake_twilio, agent, django_capture_on_commit_callbacks, settings):
    fake_twilio.stop()

    message = _reply(django_capture_on_commit_callbacks, agent, channel="sms")

    assert (message.delivery_status, message.delivery_error_code) == ("failed", "network")
    assert message.delivery_attempts == MAX_SEND_RETRIES + 1
    assert "Twilio could not be reached" in message.delivery_error


def test_whatsapp_reply_inside_the_window(fake_twilio, agent, django_capture_on_commit_callbacks):
    message = _reply(django_capture_on_commit_callbacks, agent, channel="whatsapp", text="สวัสดีครับ")

    sent = fake_twilio.sent[0]
    assert sent.form["To"] == ["whatsapp:+66812345678"]
    assert sent.form["From"] == [settings.TWILIO_WHATSAPP_FROM]
    assert sent.form["Body"] == ["สวัสดีครับ"]
    assert message.delivery_status == "sent"


def test_whatsapp_outside_the_window_needs_a_template(fake_twilio, agent, django_capture_on_commit_callbacks):
    ticket = deliver("whatsapp", "whatsapp:+66812345678", "hello").ticket
    last_inbound = timezone.now() - timedelta(hours=25)
    Message.objects.filter(ticket=ticket).update(created_at=last_inbound)
    assert not whatsapp_window_open(ticket.customer_id)
    assert whatsapp_window_closes_at(ticket.customer_id) == last_inbound + timedelta(hours=24)

    with django_capture_on_commit_callbacks(execute=True):
        free_form = reply_create(ticket=ticket, author=agent, text="Any news?", channel="whatsapp")
        template = reply_create(
            ticket=ticket,
            author=agent,
            text="Your order is ready",
            channel="whatsapp",
            metadata={"content_sid": "HX0123456789abcdef0123456789abcdef", "content_variables": {"1": "สมชาย"}},
        )

    free_form.refresh_from_db()
    template.refresh_from_db()
    assert (free_form.delivery_status, free_form.delivery_error_code) == ("failed", "63016")
    assert "outside WhatsApp's 24-hour customer-service window" in free_form.delivery_error
    assert template.delivery_status == "sent"
    assert len(fake_twilio.sent) == 1
    form = fake_twilio.sent[0].form
    assert form["ContentSid"] == ["HX0123456789abcdef0123456789abcdef"]
    assert json.loads(form["ContentVariables"][0]) == {"1": "สมชาย"}
    assert "Body" not in form


def test_whatsapp_window_is_open_for_a_day_after_the_last_inbound(db):
    ticket = deliver("whatsapp", "whatsapp:+66811111111", "hi").ticket
    now = timezone.now()

    assert whatsapp_window_open(ticket.customer_id, now=now + timedelta(hours=23, minutes=59))
    assert not whatsapp_window_open(ticket.customer_id, now=now + timedelta(hours=24, minutes=1))
    # An SMS does not open the WhatsApp window.
    assert not whatsapp_window_open(deliver("sms", "+66822222222", "hi").message.customer_id)


def test_stop_blocks_sms_and_start_lifts_it(fake_twilio, agent, django_capture_on_commit_callbacks):
    client = Client()
    response = post_twilio(client, "/webhooks/twilio/sms/", sms_params(" Stop ", sid="SM" + "1" * 32))
    assert "You have been unsubscribed" in response.content.decode()
    stop = Message.objects.get(external_id="SM" + "1" * 32)
    assert stop.text == " Stop " and stop.metadata["sms_keyword"] == "stop"

    with django_capture_on_commit_callbacks(execute=True):
        blocked = reply_create(ticket=stop.ticket, author=agent, text="Are you sure?", channel="sms")
    blocked.refresh_from_db()
    assert (blocked.delivery_status, blocked.delivery_error) == ("failed", "customer opted out (STOP)")
    assert fake_twilio.sent == []

    response = post_twilio(client, "/webhooks/twilio/sms/", sms_params("start", sid="SM" + "2" * 32))
    assert "resubscribed" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        allowed = reply_create(ticket=stop.ticket, author=agent, text="Welcome back", channel="sms")
    allowed.refresh_from_db()
    assert allowed.delivery_status == "sent"
    assert len(fake_twilio.sent) == 1


def test_twilio_21610_records_the_opt_out(fake_twilio, agent, django_capture_on_commit_callbacks):
    fake_twilio.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    _reply(django_capture_on_commit_callbacks, agent, channel="sms")
    ticket = Message.objects.filter(direction="in").get().ticket

    with django_capture_on_commit_callbacks(execute=True):
        second = reply_create(ticket=ticket, author=agent, text="again", channel="sms")

    second.refresh_from_db()
    assert second.delivery_error == "customer opted out (STOP)"
    assert len(fake_twilio.sent) == 1


def test_outbound_attachments_go_as_signed_media_urls(fake_twilio, agent, django_capture_on_commit_callbacks, settings):
    ticket = deliver("sms", "+66812345678", "help").ticket
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = reply_create(ticket=ticket, author=agent, text="Here is the invoice", channel="sms")
    attachment = Attachment(message=message, filename="invoice.pdf", content_type="application/pdf", size=9)
    attachment.file.save("invoice.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    for callback in callbacks:
        callback()

    media_url = fake_twilio.sent[0].form["MediaUrl"][0]
    assert media_url.startswith(settings.HELPDESK_PUBLIC_URL + "/webhooks/twilio/media/")
    path = media_url.removeprefix(settings.HELPDESK_PUBLIC_URL)
    response = Client().get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n"
    assert Client().get(path[:-3] + "xx/").status_code == 404


def test_sms_goes_to_the_number_the_customer_last_wrote_from(fake_twilio, agent, django_capture_on_commit_callbacks):
    first = deliver("sms", "+66811111111", "from my first phone")
    customer = first.message.customer
    ContactIdentity.objects.create(customer=customer, kind="phone", address="+66822222222", lookup_key="+66822222222")
    client = Client()
    post_twilio(client, "/webhooks/twilio/sms/", sms_params("work phone", sid="SM" + "1" * 32, sender="+66822222222"))
    post_twilio(client, "/webhooks/twilio/sms/", sms_params("first again", sid="SM" + "2" * 32, sender="0811111111"))
    assert customer.messages.count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        reply_create(ticket=first.ticket, author=agent, text="Got it", channel="sms")

    assert fake_twilio.sent[0].form["To"] == ["+66811111111"]


def test_a_customer_without_a_number_cannot_get_an_sms(fake_twilio, agent, django_capture_on_commit_callbacks):
    ticket = deliver("chat", "chat:visitor-1", "hi").ticket

    with django_capture_on_commit_callbacks(execute=True):
        message = reply_create(ticket=ticket, author=agent, text="Text you later", channel="sms")

    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error_code) == ("failed", "no-address")
    assert message.delivery_error == "the customer has no phone number for sms"
    assert fake_twilio.sent == []


# Twilio's Messages API has no idempotency key: after a lost answer, the retry looks
# Twilio up before it sends again.


def _lookups(fake_twilio) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(request.path).query)
        for request in fake_twilio.requests
        if request.method == "GET" and urlsplit(request.path).path.endswith("/Messages.json")
    ]


@pytest.mark.parametrize("stall", [True, False], ids=["read-timeout", "connection-closed"])
def test_a_message_whose_answer_was_lost_is_found_not_sent_again(
    fake_twilio, agent, django_capture_on_commit_callbacks, settings, stall
):
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    fake_twilio.lose_next_answer(stall=stall)

    message = _reply(django_capture_on_commit_callbacks, agent, channel="sms")

    assert len(fake_twilio.sent) == 1
    assert [created["body"] for created in fake_twilio.messages] == ["ขอบคุณครับ"]
    assert (message.delivery_status, message.external_id) == ("sent", fake_twilio.messages[0]["sid"])
    assert (message.delivery_attempts, message.delivery_error) == (2, "")
    assert _lookups(fake_twilio) == [{"To": ["+66812345678"], "From": [settings.TWILIO_SMS_FROM], "PageSize": ["20"]}]


def test_a_lost_answer_for_a_message_twilio_never_made_is_sent_again(
    fake_twilio, agent, django_capture_on_commit_callbacks, settings
):
    # The same words went to the same customer a minute ago: that message is not this one.
    earlier = _reply(django_capture_on_commit_callbacks, agent, channel="sms")
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    fake_twilio.lose_next_answer(accepted=False)

    with django_capture_on_commit_callbacks(execute=True):
        message = reply_create(ticket=earlier.ticket, author=agent, text=earlier.text, channel="sms")

    message.refresh_from_db()
    assert len(fake_twilio.sent) == 3
    assert len(fake_twilio.messages) == 2
    assert message.external_id == fake_twilio.messages[1]["sid"] != earlier.external_id
    assert (message.delivery_status, message.delivery_attempts) == ("sent", 2)
    assert len(_lookups(fake_twilio)) == 1


def test_a_whatsapp_template_whose_answer_was_lost_is_found(
    fake_twilio, agent, django_capture_on_commit_callbacks, settings
):
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    fake_twilio.lose_next_answer(stall=True)

    message = _reply(
        django_capture_on_commit_callbacks,
        agent,
        channel="whatsapp",
        text="Your order is ready",
        metadata={"content_sid": "HX0123456789abcdef0123456789abcdef"},
    )

    assert len(fake_twilio.sent) == 1
    assert (message.delivery_status, message.external_id) == ("sent", fake_twilio.messages[0]["sid"])
    assert _lookups(fake_twilio)[0]["To"] == ["whatsapp:+66812345678"]


def test_a_status_callback_after_a_lost_answer_settles_the_message(
    fake_twilio, agent, django_capture_on_commit_callbacks, settings
):
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    fake_twilio.lose_next_answer(stall=True)
    ticket = deliver("sms", "+66812345678", "help").ticket
    with django_capture_on_commit_callbacks(execute=False):
        message = reply_create(ticket=ticket, author=agent, text="On it", channel="sms")
    with pytest.raises(TransientSendError):
        message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error_code) == ("queued", "no-answer")
    sid = fake_twilio.messages[0]["sid"]

    callback = f"/webhooks/twilio/status/?key={message.idempotency_key}"
    post_twilio(Client(), callback, {"MessageSid": sid, "MessageStatus": "sent", "AccountSid": "AC1"})
    deliver_message.apply(args=[message.pk])

    message.refresh_from_db()
    assert len(fake_twilio.sent) == 1
    assert (message.delivery_status, message.external_id, message.delivery_attempts) == ("sent", sid, 1)


def test_a_refused_connection_is_retried_without_a_lookup(fake_twilio, agent, django_capture_on_commit_callbacks):
    ticket = deliver("sms", "+66812345678", "help").ticket
    with django_capture_on_commit_callbacks(execute=False):
        message = reply_create(ticket=ticket, author=agent, text="On it", channel="sms")
    fake_twilio.stop()
    with pytest.raises(TransientSendError):
        message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error_code) == ("queued", "network")
    assert UNCONFIRMED_ATTEMPT not in message.metadata

    fake_twilio.start()
    deliver_message.apply(args=[message.pk])

    message.refresh_from_db()
    assert len(fake_twilio.sent) == 1
    assert (message.delivery_status, message.external_id) == ("sent", fake_twilio.messages[0]["sid"])
    assert (message.delivery_attempts, message.delivery_error) == (2, "")
    assert _lookups(fake_twilio) == []


def _reply_whose_every_answer_will_be_lost(fake_twilio, agent, settings, *, last_accepted: bool = True) -> Message:
    """Every attempt's answer is lost; only the last attempt (if last_accepted) reaches
    Twilio, so no retry's lookup can find it."""
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    fake_twilio.lose_next_answer(accepted=False, times=MAX_SEND_RETRIES)
    fake_twilio.lose_next_answer(accepted=last_accepted)
    ticket = deliver("sms", "+66812345678", "help").ticket
    return reply_create(ticket=ticket, author=agent, text="Your refund is on its way", channel="sms")


def _deliver_until_failed(fake_twilio, message: Message) -> None:
    deliver_message.apply(args=[message.pk])
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error_code) == ("failed", "no-answer")
    assert "may have been sent" in message.delivery_error
    assert len(fake_twilio.sent) == MAX_SEND_RETRIES + 1


def test_a_status_callback_corrects_a_send_that_failed_for_want_of_an_answer(fake_twilio, agent, settings):
    message = _reply_whose_every_answer_will_be_lost(fake_twilio, agent, settings)
    _deliver_until_failed(fake_twilio, message)
    sid = fake_twilio.messages[0]["sid"]

    callback = f"/webhooks/twilio/status/?key={message.idempotency_key}"
    response = post_twilio(Client(), callback, {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC1"})

    assert response.status_code == 200
    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("delivered", sid)
    assert (message.delivery_error, message.delivery_error_code) == ("", "")


@pytest.mark.parametrize(
    ("twilio_status", "error", "expected"),
    [
        ("queued", {}, ("sent", "", "")),
        ("delivered", {}, ("delivered", "", "")),
        (
            "undelivered",
            {"error_code": 30003, "error_message": "Unreachable destination handset"},
            ("undelivered", "30003", "30003 - Unreachable destination handset"),
        ),
    ],
)
def test_a_send_that_failed_for_want_of_an_answer_is_looked_up_once_more(
    fake_twilio, agent, settings, django_capture_on_commit_callbacks, twilio_status, error, expected
):
    message = _reply_whose_every_answer_will_be_lost(fake_twilio, agent, settings)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_until_failed(fake_twilio, message)
        # What Twilio made of the last attempt by the time the lookup runs.
        fake_twilio.messages[0].update(status=twilio_status, **error)
    # Each retry looked for an earlier attempt, then the one lookup after the last.
    assert len(_lookups(fake_twilio)) == MAX_SEND_RETRIES + 1

    message.refresh_from_db()
    assert message.external_id == fake_twilio.messages[0]["sid"]
    assert (message.delivery_status, message.delivery_error_code, message.delivery_error) == expected
    # A second run finds the message settled and asks Twilio nothing.
    lookup_lost_answer.apply(args=[message.pk])
    assert len(_lookups(fake_twilio)) == MAX_SEND_RETRIES + 1
    assert len(fake_twilio.sent) == MAX_SEND_RETRIES + 1


def test_a_send_twilio_never_made_stays_failed_after_the_lookup(
    fake_twilio, agent, settings, django_capture_on_commit_callbacks
):
    message = _reply_whose_every_answer_will_be_lost(fake_twilio, agent, settings, last_accepted=False)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_until_failed(fake_twilio, message)

    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error_code, message.external_id) == ("failed", "no-answer", None)
    assert fake_twilio.messages == []
    assert len(_lookups(fake_twilio)) == MAX_SEND_RETRIES + 1
