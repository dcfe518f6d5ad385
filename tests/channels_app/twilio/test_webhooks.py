"""Inbound SMS and WhatsApp webhooks through Django's full request stack."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.test import Client

from channels_app.twilio.webhooks import EMPTY_TWIML
from tests.channels_app.twilio.twilio_posts import post_twilio, sign, sms_params
from tickets.models import ContactIdentity, Customer, InboundEvent, Message, Ticket

pytestmark = pytest.mark.django_db

SMS = "/webhooks/twilio/sms/"
WHATSAPP = "/webhooks/twilio/whatsapp/"


@pytest.fixture
def client():
    return Client()


def test_sms_lands_on_the_timeline_and_gets_empty_twiml(client):
    response = post_twilio(client, SMS, sms_params("สวัสดีครับ ขอสอบถามเรื่องพัสดุ"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>' == EMPTY_TWIML
    message = Message.objects.get()
    assert (message.channel, message.direction, message.text) == ("sms", "in", "สวัสดีครับ ขอสอบถามเรื่องพัสดุ")
    assert message.external_id == "SM00000000000000000000000000000001"
    assert message.ticket.channel == "sms"
    assert ContactIdentity.objects.get(customer=message.customer).address == "+66812345678"


def test_same_message_sid_twice_stores_one_message(client):
    first = post_twilio(client, SMS, sms_params("once"))
    second = post_twilio(client, SMS, sms_params("once"))

    assert first.status_code == second.status_code == 200
    assert Message.objects.count() == 1
    assert list(InboundEvent.objects.order_by("pk").values_list("status", flat=True)) == ["processed", "duplicate"]


@pytest.mark.parametrize("signature", ["", "not-the-signature", "WRONG"])
def test_bad_or_missing_signature_is_refused_and_nothing_is_stored(client, signature, caplog):
    with caplog.at_level(logging.WARNING, logger="channels_app.twilio.webhooks"):
        response = post_twilio(client, SMS, sms_params(), signature=signature)

    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0 and Message.objects.count() == 0
    # The log names the URL that was validated, so a wrong HELPDESK_PUBLIC_URL shows at once.
    assert f"{settings.HELPDESK_PUBLIC_URL}{SMS}" in caplog.text
    assert "HELPDESK_PUBLIC_URL" in caplog.text
    assert ("no X-Twilio-Signature header" if not signature else "does not match") in caplog.text


def test_signature_over_another_public_url_is_refused(client, settings):
    params = sms_params()
    # Twilio was configured with https://, the helpdesk thinks it is served over http://.
    signature = sign("https://helpdesk.example.com" + SMS, params)
    settings.HELPDESK_PUBLIC_URL = "http://helpdesk.example.com"

    assert post_twilio(client, SMS, params, signature=signature).status_code == 403
    settings.HELPDESK_PUBLIC_URL = "https://helpdesk.example.com"
    assert post_twilio(client, SMS, params, signature=signature).status_code == 200


def test_signature_covers_the_query_string(client):
    params = sms_params()
    path = SMS + "?tenant=th"
    good = sign(settings.HELPDESK_PUBLIC_URL + path, params)

    assert (
        client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(settings.HELPDESK_PUBLIC_URL + SMS, params)).status_code
        == 403
    )
    assert client.post(path, params, HTTP_X_TWILIO_SIGNATURE=good).status_code == 200


def test_tampered_parameters_are_refused(client):
    params = sms_params("pay 10 baht")
    signature = sign(settings.HELPDESK_PUBLIC_URL + SMS, params)

    response = post_twilio(client, SMS, {**params, "Body": "pay 10000 baht"}, signature=signature)

    assert response.status_code == 403
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("drop", "named"),
    [
        (["MessageSid", "SmsSid"], "MessageSid (or SmsSid)"),
        (["From"], "From"),
        (["MessageSid", "SmsSid", "From"], "MessageSid (or SmsSid), From"),
    ],
)
def test_missing_required_parameters_get_a_400_naming_them(client, drop, named):
    params = {k: v for k, v in sms_params().items() if k not in drop}

    response = post_twilio(client, SMS, params)

    assert response.status_code == 400
    assert response.content.decode() == f"missing required Twilio parameters: {named}"
    assert not Message.objects.exists()


@pytest.mark.parametrize("sender", ["abc", "whatsapp:", "+"])
def test_a_sender_that_is_no_address_gets_a_400(client, sender):
    response = post_twilio(client, SMS, sms_params(sender=sender))

    assert response.status_code == 400
    assert response.content.decode() == "From is not a phone number or a WhatsApp address"
    assert not InboundEvent.objects.exists()


def test_status_callback_without_status_gets_a_400(client):
    response = post_twilio(client, "/webhooks/twilio/status/", {"MessageSid": "SM1"})

    assert response.status_code == 400
    assert "MessageStatus" in response.content.decode()


@pytest.mark.parametrize(
    "extra",
    [
        {"NumMedia": "999999999999999999999"},
        {"NumMedia": "-1"},
        {"NumMedia": "1", "MediaUrl0": "javascript:alert(1)"},
        {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/" + "x" * 2000},
    ],
)
def test_hostile_media_parameters_get_a_400(client, extra):
    response = post_twilio(client, SMS, sms_params(**extra))

    assert response.status_code == 400
    assert not Message.objects.exists()


def test_oversized_post_gets_a_413_without_touching_the_database(client, settings):
    settings.TWILIO_MAX_WEBHOOK_BYTES = 10_000

    response = post_twilio(client, SMS, sms_params("x" * 20_000))

    assert response.status_code == 413
    assert not InboundEvent.objects.exists()


def test_hostile_text_is_stored_safely(client):
    hostile = "<script>alert(1)</script>\x00\x07 ' OR 1=1 -- " + "ก" * 5000

    response = post_twilio(client, SMS, sms_params(hostile, ProfileName="\x00<b>x</b>"))

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.text == hostile.replace("\x00", "").replace("\x07", "")
    assert message.html == ""


def test_only_post_is_accepted(client):
    assert client.get(SMS).status_code == 405


def test_sms_and_whatsapp_from_one_number_are_one_customer(client):
    post_twilio(client, SMS, sms_params("by sms", sid="SM" + "1" * 32, sender="0812345678"))
    post_twilio(
        client,
        WHATSAPP,
        sms_params("by whatsapp", sid="SM" + "2" * 32, sender="whatsapp:+66812345678", ProfileName="Somchai"),
    )

    assert Customer.objects.count() == 1
    customer = Customer.objects.get()
    assert customer.name == "Somchai"
    assert sorted(customer.messages.values_list("channel", flat=True)) == ["sms", "whatsapp"]
    # One conversation per channel: the SMS and the WhatsApp thread are separate tickets.
    assert Ticket.objects.filter(customer=customer).count() == 2
    assert list(ContactIdentity.objects.values_list("kind", "address")) == [("phone", "+66812345678")]


def test_profile_name_does_not_rename_a_known_customer(client):
    post_twilio(
        client, WHATSAPP, sms_params("one", sid="SM" + "1" * 32, sender="whatsapp:+66812345678", ProfileName="Somchai")
    )
    post_twilio(
        client, WHATSAPP, sms_params("two", sid="SM" + "2" * 32, sender="whatsapp:+66812345678", ProfileName="S.")
    )

    assert Customer.objects.get().name == "Somchai"
    assert Message.objects.count() == 2
    assert Ticket.objects.count() == 1


def test_whatsapp_location_is_text_with_a_maps_link(client):
    params = sms_params(
        "", sender="whatsapp:+66812345678", MessageType="location", Latitude="13.7563", Longitude="100.5018",
        Address="Bangkok", Label="Office",
    )  # fmt: skip

    assert post_twilio(client, WHATSAPP, params).status_code == 200

    message = Message.objects.get()
    assert message.text == "Location: Office - Bangkok (13.7563, 100.5018)"
    assert (
        message.metadata["location"]["maps_url"] == "https://www.google.com/maps/search/?api=1&query=13.7563,100.5018"
    )
    assert not message.attachments.exists()


def test_nonsense_coordinates_are_not_a_location(client):
    params = sms_params("", sender="whatsapp:+66812345678", MessageType="location", Latitude="nan", Longitude="999")

    assert post_twilio(client, WHATSAPP, params).status_code == 200
    assert "location" not in Message.objects.get().metadata


def test_media_become_attachments_fetched_later(client):
    params = sms_params(
        "",
        NumMedia="2",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        MediaContentType0="image/jpeg",
        MediaUrl1="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        MediaContentType1="application/pdf",
    )

    assert post_twilio(client, SMS, params).status_code == 200

    attachments = Message.objects.get().attachments.order_by("pk")
    assert [(a.filename, a.content_type, bool(a.file)) for a in attachments] == [
        ("ME1.jpg", "image/jpeg", False),
        ("ME2.pdf", "application/pdf", False),
    ]
    assert attachments[0].source_url.endswith("/Media/ME1")
