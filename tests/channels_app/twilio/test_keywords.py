"""SMS opt-out keywords: recognised only as a whole message, in English and Thai,
answered once."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import Client

from channels_app.models import SmsOptOut
from channels_app.twilio.keywords import Keyword, keyword_of
from channels_app.twilio.webhooks import EMPTY_TWIML
from tests.channels_app.twilio.twilio_posts import post_twilio, sms_params
from tickets.models import Message, Ticket

SMS = "/webhooks/twilio/sms/"


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", Keyword.STOP), ("stop", Keyword.STOP), ("  Stop.  ", Keyword.STOP), ("S T O P", Keyword.STOP),
        ("StopAll", Keyword.STOP), ("UNSUBSCRIBE", Keyword.STOP), ("cancel", Keyword.STOP), ("End", Keyword.STOP),
        ("quit!", Keyword.STOP), ("หยุด", Keyword.STOP), (" ยกเลิก ", Keyword.STOP), ("เลิกรับ", Keyword.STOP),
        ("ยก\u200bเลิก", Keyword.STOP),
        ("START", Keyword.START), ("unstop", Keyword.START), ("Yes", Keyword.START), ("เริ่ม", Keyword.START),
        ("HELP", Keyword.HELP), ("info", Keyword.HELP), ("ช่วยเหลือ", Keyword.HELP),
        ("please stop", None), ("stop sending me ads", None), ("ยกเลิกคำสั่งซื้อ", None), ("", None), ("yesterday", None),
    ],
)  # fmt: skip
def test_keyword_is_the_whole_message(body, keyword):
    assert keyword_of(body) == keyword


def _answer(response) -> ElementTree.Element | None:
    return ElementTree.fromstring(response.content).find("Message")


def _answered(response) -> str | None:
    answer = _answer(response)
    return None if answer is None else answer.text


@pytest.mark.django_db
def test_help_gets_the_help_text_and_changes_nothing(settings):
    settings.TWILIO_HELP_TEXT = "Acme support: reply here, or call 02-000-0000."

    response = post_twilio(Client(), SMS, sms_params("help"))

    assert _answered(response) == "Acme support: reply here, or call 02-000-0000."
    assert not SmsOptOut.objects.exists()
    assert Message.objects.get(direction="in").text == "help"


@pytest.mark.django_db
def test_thai_stop_is_recorded_with_the_word_written():
    response = post_twilio(Client(), SMS, sms_params("ยกเลิก", sender="081-234-5678"))

    assert _answered(response)
    optout = SmsOptOut.objects.get()
    assert (optout.phone, optout.opted_out, optout.keyword) == ("+66812345678", True, "ยกเลิก")


@pytest.mark.django_db
def test_twilio_advanced_opt_out_already_answered(settings):
    response = post_twilio(Client(), SMS, sms_params("STOP", OptOutType="STOP"))

    assert response.content.decode() == EMPTY_TWIML
    assert SmsOptOut.objects.get().opted_out
    # What Twilio answered is not ours to show: only the keyword is on the timeline.
    assert list(Message.objects.values_list("direction", flat=True)) == ["in"]


@pytest.mark.django_db
def test_keyword_replies_can_be_left_to_twilio(settings):
    settings.TWILIO_KEYWORD_REPLIES = False

    response = post_twilio(Client(), SMS, sms_params("STOP"))

    assert response.content.decode() == EMPTY_TWIML
    assert SmsOptOut.objects.get().opted_out
    assert list(Message.objects.values_list("direction", flat=True)) == ["in"]


@pytest.mark.django_db
def test_a_redelivered_stop_is_answered_once():
    first = post_twilio(Client(), SMS, sms_params("STOP"))
    again = post_twilio(Client(), SMS, sms_params("STOP"))

    assert _answered(first)
    assert again.content.decode() == EMPTY_TWIML


@pytest.mark.django_db
def test_whatsapp_stop_is_just_a_message():
    response = post_twilio(Client(), "/webhooks/twilio/whatsapp/", sms_params("STOP", sender="whatsapp:+66812345678"))

    assert response.content.decode() == EMPTY_TWIML
    assert not SmsOptOut.objects.exists()
    assert Message.objects.get().text == "STOP"


def test_the_answer_to_a_keyword_is_on_the_timeline(agent_client):
    client = Client()
    response = post_twilio(client, SMS, sms_params("ยกเลิก", sid="SM" + "5" * 32))
    answer = _answer(response)
    inbound = Message.objects.get(external_id="SM" + "5" * 32)

    timeline = agent_client.get(f"/api/v1/customers/{inbound.customer_id}/timeline/").json()["results"]
    assert [(item["direction"], item["text"]) for item in timeline] == [("out", answer.text), ("in", "ยกเลิก")]
    stored = timeline[0]
    assert stored["ticket"] == inbound.ticket_id and stored["channel"] == "sms"
    assert (stored["is_automatic"], stored["author"]) == (True, None)
    # Twilio sends it from the TwiML: handed over, not queued for the delivery task.
    assert stored["delivery_status"] == "sending"
    # The keyword's ticket is as the keyword left it; an automatic answer is no response.
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.first_response_at, ticket.agent_reply_count) == (Ticket.Status.NEW, None, 0)

    # A replayed webhook is neither answered nor stored again.
    again = post_twilio(client, SMS, sms_params("ยกเลิก", sid="SM" + "5" * 32))
    assert again.content.decode() == EMPTY_TWIML
    assert Message.objects.count() == 2

    # Twilio reports on the answer it sent at the TwiML's action URL.
    action = urlsplit(answer.get("action"))
    assert f"{action.scheme}://{action.netloc}" == settings.HELPDESK_PUBLIC_URL
    sent_sid = "SM" + "6" * 32
    status = post_twilio(
        client,
        f"{action.path}?{action.query}",
        {"MessageSid": sent_sid, "MessageStatus": "delivered", "AccountSid": settings.TWILIO_ACCOUNT_SID},
    )
    assert status.status_code == 200
    timeline = agent_client.get(f"/api/v1/customers/{inbound.customer_id}/timeline/").json()["results"]
    assert timeline[0]["delivery_status"] == "delivered"
    assert Message.objects.get(direction="out").external_id == sent_sid


@pytest.mark.parametrize("body", ["STOP", "ยกเลิก", "START", "HELP", "ช่วยเหลือ"])
def test_a_keyword_that_opens_a_ticket_is_not_acknowledged(
    body, fake_twilio, agent_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_twilio(Client(), SMS, sms_params(body))

    inbound = Message.objects.get(direction="in")
    timeline = agent_client.get(f"/api/v1/customers/{inbound.customer_id}/timeline/").json()["results"]
    # Only the keyword and its answer, which went out in the TwiML: no acknowledgement,
    # and after STOP no failed one.
    assert [(item["direction"], item["text"], item["delivery_status"]) for item in timeline] == [
        ("out", _answered(response), "sending"),
        ("in", body, ""),
    ]
    assert fake_twilio.sent == []


@pytest.mark.django_db
def test_the_first_request_after_a_keyword_is_acknowledged(fake_twilio, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(Client(), SMS, sms_params("HELP", sid="SM" + "1" * 32))
        post_twilio(Client(), SMS, sms_params("My parcel has not arrived", sid="SM" + "2" * 32))

    ticket = Ticket.objects.get()
    (ack,) = Message.objects.filter(direction="out", metadata__autoack=True)
    assert ack.ticket == ticket and ticket.reference in ack.text
    assert ack.delivery_status == "sent"
    # The acknowledgement is the one message sent through the API.
    assert [request.form["Body"] for request in fake_twilio.sent] == [[ack.text]]
