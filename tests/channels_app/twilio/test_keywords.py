"""SMS opt-out keywords: recognised only as a whole message, in English and Thai,
answered once."""

from __future__ import annotations

import pytest
from django.test import Client

from channels_app.models import SmsOptOut
from channels_app.twilio.keywords import Keyword, keyword_of
from channels_app.twilio.webhooks import EMPTY_TWIML
from tests.channels_app.twilio.twilio_posts import post_twilio, sms_params
from tickets.models import Message

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


@pytest.mark.django_db
def test_help_gets_the_help_text_and_changes_nothing(settings):
    settings.TWILIO_HELP_TEXT = "Acme support: reply here, or call 02-000-0000."

    response = post_twilio(Client(), SMS, sms_params("help"))

    assert response.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        "Acme support: reply here, or call 02-000-0000.</Message></Response>"
    )
    assert not SmsOptOut.objects.exists()
    assert Message.objects.get().text == "help"


@pytest.mark.django_db
def test_thai_stop_is_recorded_with_the_word_written():
    response = post_twilio(Client(), SMS, sms_params("ยกเลิก", sender="081-234-5678"))

    assert "<Message>" in response.content.decode()
    optout = SmsOptOut.objects.get()
    assert (optout.phone, optout.opted_out, optout.keyword) == ("+66812345678", True, "ยกเลิก")


@pytest.mark.django_db
def test_twilio_advanced_opt_out_already_answered(settings):
    response = post_twilio(Client(), SMS, sms_params("STOP", OptOutType="STOP"))

    assert response.content.decode() == EMPTY_TWIML
    assert SmsOptOut.objects.get().opted_out


@pytest.mark.django_db
def test_keyword_replies_can_be_left_to_twilio(settings):
    settings.TWILIO_KEYWORD_REPLIES = False

    response = post_twilio(Client(), SMS, sms_params("STOP"))

    assert response.content.decode() == EMPTY_TWIML
    assert SmsOptOut.objects.get().opted_out


@pytest.mark.django_db
def test_a_redelivered_stop_is_answered_once():
    first = post_twilio(Client(), SMS, sms_params("STOP"))
    again = post_twilio(Client(), SMS, sms_params("STOP"))

    assert "<Message>" in first.content.decode()
    assert again.content.decode() == EMPTY_TWIML


@pytest.mark.django_db
def test_whatsapp_stop_is_just_a_message():
    response = post_twilio(Client(), "/webhooks/twilio/whatsapp/", sms_params("STOP", sender="whatsapp:+66812345678"))

    assert response.content.decode() == EMPTY_TWIML
    assert not SmsOptOut.objects.exists()
    assert Message.objects.get().text == "STOP"
