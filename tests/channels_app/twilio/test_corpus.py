"""Every Twilio payload of the shared corpus (real-shaped params from Chatwoot's
specs) through the signed webhook, with what each file's upstream test expects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.channels_app.twilio.twilio_posts import post_twilio
from tickets.models import ContactIdentity, Customer, Message
from tickets.services.replies import reply_create

CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpus" / "twilio"
FILES = sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not FILES, reason=f"the shared Twilio corpus is absent ({CORPUS})"),
]

# What each file's "upstream_expectation" calls for, as (text, attachment count).
# A location is stored as text with a maps link in metadata, which is this
# helpdesk's form of Chatwoot's "location attachment".
EXPECTED = {
    "chatwoot_location_message.json": ("Location: 12.160894393921, 75.265205383301", 0),
    "chatwoot_mms_one_media.json": ("testing3", 1),
    "chatwoot_mms_two_media.json": ("testing multiple media", 2),
    "chatwoot_sms_body_with_null_bytes.json": ("remove null bytes", 0),
    "chatwoot_sms_no_body.json": ("", 0),
    "chatwoot_twilio_media_url_needs_auth.json": ("media", 1),
    "chatwoot_whatsapp_bsuid_only.json": ("testing bsuid", 0),
    "chatwoot_whatsapp_ctwa_referral.json": ("Hallo! Kann ich hierzu mehr Informationen erhalten?", 0),
    "chatwoot_whatsapp_profile_name_brazil.json": ("Test message from Brazil", 0),
}


def _load(name: str) -> dict:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def _endpoint(case: dict) -> str:
    whatsapp = "whatsapp" in case["kind"] or case["params"]["From"].startswith("whatsapp:")
    return "/webhooks/twilio/whatsapp/" if whatsapp else "/webhooks/twilio/sms/"


def test_every_corpus_file_is_known():
    kinds = {path.name: _load(path.name)["kind"] for path in FILES}
    inbound = {name for name, kind in kinds.items() if kind != "status_callback"}
    assert inbound == set(EXPECTED), "a new corpus file needs its expectation here"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_inbound_corpus_file(name):
    case = _load(name)
    expected_text, expected_attachments = EXPECTED[name]

    response = post_twilio(Client(), _endpoint(case), case["params"])

    assert response.status_code == 200, response.content
    message = Message.objects.get()
    assert message.text == expected_text, case["source"]["upstream_expectation"]
    assert message.attachments.count() == expected_attachments, case["source"]["upstream_expectation"]
    assert message.external_id == case["params"]["SmsSid"]


def test_location_keeps_the_coordinates_and_a_maps_link():
    post_twilio(Client(), "/webhooks/twilio/whatsapp/", _load("chatwoot_location_message.json")["params"])

    location = Message.objects.get().metadata["location"]
    assert (location["latitude"], location["longitude"]) == (12.160894393921, 75.265205383301)
    assert location["maps_url"].endswith("query=12.160894393921,75.265205383301")


def test_mms_attachments_keep_their_type_and_source():
    case = _load("chatwoot_mms_two_media.json")
    post_twilio(Client(), "/webhooks/twilio/sms/", case["params"])

    attachments = Message.objects.get().attachments.order_by("pk")
    assert [(a.content_type, a.source_url) for a in attachments] == [
        ("image/png", "https://chatwoot-assets.local/sample.png"),
        ("image/jpeg", "https://chatwoot-assets.local/sample.jpg"),
    ]


def test_whatsapp_user_without_a_number_gets_a_named_customer_and_the_parent_id():
    post_twilio(Client(), "/webhooks/twilio/whatsapp/", _load("chatwoot_whatsapp_bsuid_only.json")["params"])

    customer = Customer.objects.get()
    assert customer.name == "Muhsin"
    identities = set(customer.identities.values_list("kind", "address"))
    assert identities == {("whatsapp", "IN.2081978709342942"), ("whatsapp", "IN.ENT.9081726354")}
    assert not customer.identities.filter(kind=ContactIdentity.Kind.PHONE).exists()


def test_click_to_whatsapp_referral_is_kept_on_the_message():
    post_twilio(Client(), "/webhooks/twilio/whatsapp/", _load("chatwoot_whatsapp_ctwa_referral.json")["params"])

    referral = Message.objects.get().metadata["referral"]
    assert referral["ctwa_clid"] == "AfjyUDlaIoiweZDnlzmDTEaG"
    assert referral["source_url"] == "https://fb.me/4tBfhWhjr"
    assert referral["headline"] == "German citizenship lawyer"
    assert referral["source_type"] == "ad"


def test_brazilian_number_old_and_new_format_are_one_customer():
    params = _load("chatwoot_whatsapp_profile_name_brazil.json")["params"]
    post_twilio(Client(), "/webhooks/twilio/whatsapp/", params)
    # The same person, reported in the old 8-digit form.
    post_twilio(Client(), "/webhooks/twilio/whatsapp/", {**params, "SmsSid": "SMyy", "From": "whatsapp:+554188887777"})

    customer = Customer.objects.get()
    assert customer.name == "João Silva"
    assert customer.messages.count() == 2
    assert ContactIdentity.objects.filter(customer=customer, address="+5541988887777").exists()


@pytest.mark.parametrize(
    ("name", "expected_error"),
    [
        ("chatwoot_status_failed_30008_code_only.json", "Error code: 30008"),
        ("chatwoot_status_failed_30008_with_message.json", "30008 - Unknown error"),
    ],
)
def test_status_callback_corpus_file(name, expected_error, agent):
    case = _load(name)
    post_twilio(Client(), "/webhooks/twilio/sms/", {"MessageSid": "SMin", "From": case["params"]["From"], "Body": "hi"})
    ticket = Message.objects.get().ticket
    # Inside the test's transaction the delivery task (enqueued on commit) never runs:
    # this test is about the callback, as if the send had happened.
    reply = reply_create(ticket=ticket, author=agent, text="We are on it")
    Message.objects.filter(pk=reply.pk).update(external_id=case["params"]["MessageSid"], delivery_status="sent")

    response = post_twilio(Client(), "/webhooks/twilio/status/", case["params"])

    assert response.status_code == 200
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code, reply.delivery_error) == (
        "failed",
        "30008",
        expected_error,
    )
