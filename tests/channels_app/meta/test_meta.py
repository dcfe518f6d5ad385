"""Messenger and Instagram: the webhook's handshake and signature, echoes and receipts,
and replies through the Send API of a fake Graph API within Meta's messaging windows."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from tests.channels_app.meta.meta_posts import IGSID, PAGE, PSID, message_item, post_meta, sign, webhook
from tickets.delivery_errors import delivery_error_explanation
from tickets.models import Attachment, ContactIdentity, Message
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db


def test_the_subscription_handshake_echoes_the_challenge_only_for_our_token(settings):
    good = {"hub.mode": "subscribe", "hub.verify_token": settings.META_VERIFY_TOKEN, "hub.challenge": "1158201444"}

    response = Client().get("/webhooks/meta/", good)
    assert (response.status_code, response.content) == (200, b"1158201444")
    assert Client().get("/webhooks/meta/", {**good, "hub.verify_token": "guess"}).status_code == 403


def test_unsigned_or_missigned_posts_are_refused_and_malformed_ones_are_400(fake_meta):
    body = json.dumps(webhook(message_item("hi"))).encode()

    assert post_meta(Client(), body, signature="").status_code == 403
    assert post_meta(Client(), body, signature=sign(body, "another-secret")).status_code == 403
    assert post_meta(Client(), b"{not json").status_code == 400
    assert post_meta(Client(), {"object": "whatsapp_business_account", "entry": []}).status_code == 400
    assert not Message.objects.exists()


def test_a_messenger_message_and_an_instagram_one_land_on_their_channels(fake_meta, django_capture_on_commit_callbacks):
    fake_meta.add_file("/photo.jpg", b"\xff\xd8\xff" + b"1" * 300, "image/jpeg")
    image = {"type": "image", "payload": {"url": fake_meta.base_url + "/photo.jpg"}}

    with django_capture_on_commit_callbacks(execute=True):
        post_meta(Client(), webhook(message_item("มีไซส์ L ไหม", attachments=[image])))
        post_meta(Client(), webhook(message_item("สีอื่นมีไหม", user=IGSID), platform="instagram"))

    messenger, instagram = Message.objects.order_by("id")
    assert (messenger.channel, messenger.text) == ("messenger", "มีไซส์ L ไหม")
    assert messenger.attachments.get().file.read().startswith(b"\xff\xd8\xff")
    assert instagram.channel == "instagram"
    assert ContactIdentity.objects.get(kind="messenger").address == PSID
    assert ContactIdentity.objects.get(kind="instagram").address == IGSID


def test_files_off_metas_hosts_are_never_fetched(fake_meta, django_capture_on_commit_callbacks):
    inside = {"type": "image", "payload": {"url": "http://169.254.169.254/latest/meta-data/iam"}}

    with django_capture_on_commit_callbacks(execute=True):
        post_meta(Client(), webhook(message_item(attachments=[inside])))

    attachment = Attachment.objects.get()
    assert not attachment.file and "not one of Meta's" in attachment.fetch_error


def _conversation(fake_meta, agent, capture, *, text: str = "ได้ค่ะ", age: timedelta = timedelta(0), **fields):
    post_meta(Client(), webhook(message_item("สวัสดีค่ะ", mid="m_in_1")))
    inbound = Message.objects.get(external_id="m_in_1")
    Message.objects.filter(pk=inbound.pk).update(created_at=timezone.now() - age)
    with capture(execute=True):
        message = reply_create(ticket=inbound.ticket, author=agent, text=text, channel="messenger", **fields)
    message.refresh_from_db()
    return message


def test_a_reply_within_24_hours_is_a_response(fake_meta, agent, django_capture_on_commit_callbacks):
    message = _conversation(fake_meta, agent, django_capture_on_commit_callbacks)

    sent = fake_meta.sent[0]
    assert (sent["recipient"], sent["messaging_type"], sent["tag"]) == (PSID, "RESPONSE", None)
    assert sent["message"] == {"text": "ได้ค่ะ", "metadata": str(message.idempotency_key)}
    assert (message.delivery_status, message.external_id) == ("sent", sent["mid"])


def test_after_24_hours_only_an_agents_answer_goes_out_tagged_human_agent(
    fake_meta, agent, django_capture_on_commit_callbacks
):
    message = _conversation(fake_meta, agent, django_capture_on_commit_callbacks, age=timedelta(days=3))

    assert message.delivery_status == "sent"
    assert (fake_meta.sent[0]["messaging_type"], fake_meta.sent[0]["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_after_7_days_the_send_is_refused_and_the_agent_reads_why(fake_meta, agent, django_capture_on_commit_callbacks):
    message = _conversation(fake_meta, agent, django_capture_on_commit_callbacks, age=timedelta(days=8))

    assert (message.delivery_status, message.delivery_error_code) == ("failed", "meta-window")
    assert fake_meta.sent == []
    with override("th"):
        assert "7 วัน" in delivery_error_explanation(code=message.delivery_error_code, stored=message.delivery_error)


def test_metas_own_window_refusal_is_explained_too(fake_meta, agent, django_capture_on_commit_callbacks):
    fake_meta.fail_next(400, 10, 2018278, "(#10) This message is sent outside of allowed window.")

    message = _conversation(fake_meta, agent, django_capture_on_commit_callbacks)

    assert (message.delivery_status, message.delivery_error_code) == ("failed", "meta-window")


def test_a_lost_answer_is_not_sent_again_and_the_echo_settles_it(fake_meta, agent, django_capture_on_commit_callbacks):
    fake_meta.lose_next_answer()

    message = _conversation(fake_meta, agent, django_capture_on_commit_callbacks)

    assert (message.delivery_status, message.delivery_error_code) == ("failed", "no-answer")
    assert len(fake_meta.sent) == 1
    echo = {
        "sender": {"id": PAGE}, "recipient": {"id": PSID}, "timestamp": 1733300000000,
        "message": {"is_echo": True, "mid": fake_meta.sent[0]["mid"], "text": "ได้ค่ะ",
                    "metadata": str(message.idempotency_key)},
    }  # fmt: skip
    post_meta(Client(), webhook(echo))

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", fake_meta.sent[0]["mid"])
    assert Message.objects.filter(direction="out").count() == 1


def test_an_echo_of_an_answer_from_the_page_inbox_joins_the_timeline_once(fake_meta):
    post_meta(Client(), webhook(message_item("สวัสดีค่ะ")))
    echo = {
        "sender": {"id": PAGE}, "recipient": {"id": PSID}, "timestamp": 1733300000000,
        "message": {"is_echo": True, "app_id": 263902037430900, "mid": "m_from_inbox", "text": "ตอบจากเพจค่ะ"},
    }  # fmt: skip

    post_meta(Client(), webhook(echo, echo))

    sent = Message.objects.get(direction="out")
    assert (sent.text, sent.external_id, sent.delivery_status) == ("ตอบจากเพจค่ะ", "m_from_inbox", "sent")


def test_delivery_and_read_receipts_move_the_replys_status(fake_meta, agent, django_capture_on_commit_callbacks):
    message = _conversation(fake_meta, agent, django_capture_on_commit_callbacks)
    receipt = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": 1733300000000}

    post_meta(Client(), webhook({**receipt, "delivery": {"mids": [message.external_id]}}))
    message.refresh_from_db()
    assert message.delivery_status == "delivered"

    watermark = int((timezone.now() + timedelta(seconds=5)).timestamp() * 1000)
    post_meta(Client(), webhook({**receipt, "read": {"watermark": watermark}}))
    message.refresh_from_db()
    assert message.delivery_status == "read" and message.read_at is not None


def test_a_survey_on_messenger_offers_quick_replies_and_the_tap_answers_it(
    fake_meta, django_capture_on_commit_callbacks
):
    card = {"id": 1, "kind": "csat", "scale_min": 1, "scale_max": 5}

    message = _conversation(
        fake_meta, None, django_capture_on_commit_callbacks, is_automatic=True, metadata={"survey": card}
    )

    assert message.delivery_status == "sent"
    quick = fake_meta.sent[0]["message"]["quick_replies"]
    assert [item["payload"] for item in quick] == ["1", "2", "3", "4", "5"]


def test_a_signed_body_nested_past_the_recursion_limit_is_a_400():
    deep = ("[" * 5000 + "]" * 5000).encode()

    assert post_meta(Client(), deep).status_code == 400


def test_names_come_from_the_profile_api_and_never_overwrite_an_agents(fake_meta, django_capture_on_commit_callbacks):
    from channels_app.meta.tasks import refresh_meta_profile
    from tickets.models import Customer

    fake_meta.profiles[PSID] = {
        "first_name": "สมหญิง",
        "last_name": "ใจดี",
        "profile_pic": "https://scontent.xx.fbcdn.net/p.jpg",
    }
    fake_meta.profiles[IGSID] = {"name": "", "username": "mint.shop"}
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(Client(), webhook(message_item("สวัสดีค่ะ")))
        post_meta(Client(), webhook(message_item("hi", user=IGSID), platform="instagram"))

    messenger = ContactIdentity.objects.get(kind="messenger").customer
    assert messenger.name == "สมหญิง ใจดี"
    assert ContactIdentity.objects.get(kind="instagram").customer.name == "mint.shop"

    Customer.objects.filter(pk=messenger.pk).update(name="คุณหญิง (ร้านส้มตำ)")
    fake_meta.profiles[PSID]["first_name"] = "Ying"
    refresh_meta_profile.apply(args=["messenger", PSID])
    assert Customer.objects.get(pk=messenger.pk).name == "คุณหญิง (ร้านส้มตำ)"
