"""POST /webhooks/line/: the signature, LINE's verification request, every kind of
event, redeliveries and batches, through the real stack to what an agent sees."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from channels_app.models import ChannelHealth, MessagingContact
from tests.channels_app.line.line_posts import USER, batch, event, post_line, sign, text_event
from tickets.models import ContactIdentity, Customer, InboundEvent, Message, Ticket

pytestmark = pytest.mark.django_db


def test_verification_request_with_no_events_is_answered_200(fake_line):
    response = post_line(Client(), batch())

    assert response.status_code == 200
    assert not InboundEvent.objects.exists()


def test_a_wrong_signature_is_refused_403_and_nothing_is_stored(fake_line):
    body = json.dumps(batch(text_event("hi"))).encode()

    assert post_line(Client(), body, signature=sign(body, "another-secret")).status_code == 403
    assert post_line(Client(), body, signature="").status_code == 403
    assert not Message.objects.exists()
    assert "X-Line-Signature" in ChannelHealth.objects.get(channel="line").last_error


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"destination": "x"}', b'{"events": "nope"}', b'{"events": [1, 2]}', b"\xff\xfe"],
)
def test_a_malformed_body_is_refused_400(fake_line, body):
    assert post_line(Client(), body).status_code == 400
    assert not Message.objects.exists()


def test_a_text_message_lands_on_a_new_customer_with_a_line_identity(fake_line, django_capture_on_commit_callbacks):
    fake_line.add_profile(USER, "สมชาย ใจดี", pictureUrl="https://profile.line-scdn.net/abc", language="th")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_line(Client(), batch(text_event("สวัสดีครับ สั่งของไปแล้วยังไม่ได้รับ")))

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.channel, message.direction, message.external_id) == ("line", "in", "468789577898262530")
    assert message.text == "สวัสดีครับ สั่งของไปแล้วยังไม่ได้รับ"
    assert message.ticket.channel == "line"
    identity = ContactIdentity.objects.get(kind="line")
    assert identity.address == USER and identity.customer_id == message.customer_id
    # The profile came from LINE's API, by a task.
    assert Customer.objects.get().name == "สมชาย ใจดี"
    contact = MessagingContact.objects.get(platform="line", user_id=USER)
    assert contact.picture_url == "https://profile.line-scdn.net/abc"
    assert ChannelHealth.objects.get(channel="line").events_received == 1


def test_a_redelivery_and_a_repeat_change_nothing(fake_line):
    first = text_event("where is my order?")
    again = {**first, "deliveryContext": {"isRedelivery": True}}

    for body in (batch(first), batch(first), batch(again)):
        assert post_line(Client(), body).status_code == 200

    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_a_batch_of_events_is_taken_in_order_on_one_ticket(fake_line):
    events = [text_event(f"message {n}", message_id=f"50000000000000000{n}") for n in range(3)]

    assert post_line(Client(), batch(*events)).status_code == 200

    assert list(Message.objects.order_by("id").values_list("text", flat=True)) == [
        "message 0", "message 1", "message 2",
    ]  # fmt: skip
    assert Ticket.objects.count() == 1


def test_a_sticker_is_stored_with_its_ids_and_shown_by_its_words(fake_line):
    sticker = {
        "type": "sticker", "id": "510000000000000001", "packageId": "446", "stickerId": "1988",
        "stickerResourceType": "STATIC", "keywords": ["Happy", "Smile", "OK"],
    }  # fmt: skip

    post_line(Client(), batch(event("message", message=sticker)))

    message = Message.objects.get()
    assert message.text == "[sticker] Happy, Smile, OK"
    assert message.metadata["line"]["sticker"]["package_id"] == "446"
    assert message.metadata["line"]["sticker"]["image_url"].endswith("/sticker/1988/android/sticker.png")


def test_a_location_is_kept_with_a_maps_link(fake_line):
    location = {
        "type": "location", "id": "520000000000000001", "title": "สยามพารากอน",
        "address": "991 ถนนพระราม 1 ปทุมวัน กรุงเทพมหานคร", "latitude": 13.7462, "longitude": 100.5347,
    }  # fmt: skip

    post_line(Client(), batch(event("message", message=location)))

    message = Message.objects.get()
    assert message.text.startswith("Location: สยามพารากอน - 991")
    assert message.metadata["location"]["maps_url"].endswith("query=13.7462,100.5347")


def test_unfollow_opts_out_and_a_later_follow_opts_in(fake_line):
    post_line(Client(), batch(event("unfollow")))
    assert MessagingContact.objects.get(user_id=USER).opted_out

    later = event("follow", timestamp=1733300009000)
    post_line(Client(), batch(later))
    assert not MessagingContact.objects.get(user_id=USER).opted_out
    # An old unfollow redelivered after the follow does not win.
    post_line(Client(), batch(event("unfollow", redelivery=True, timestamp=1733300001000)))
    assert not MessagingContact.objects.get(user_id=USER).opted_out
    assert not Message.objects.exists()


def test_a_postback_is_a_message_with_its_data(fake_line):
    postback = event("postback", postback={"data": "action=track&order=1234", "params": {}})

    post_line(Client(), batch(postback, postback))

    message = Message.objects.get()
    assert message.text == "action=track&order=1234"
    assert message.external_id == f"postback:{postback['webhookEventId']}"


def test_events_we_do_not_keep_and_group_members_without_an_id_are_acknowledged(fake_line):
    join = event("join", source={"type": "group", "groupId": "Cabc"})
    anonymous = text_event("hello", source={"type": "group", "groupId": "Cabc"})

    assert post_line(Client(), batch(join, anonymous, event("unsend", unsend={"messageId": "1"}))).status_code == 200
    assert not Message.objects.exists()


def test_a_signed_body_nested_past_the_recursion_limit_is_a_400(fake_line):
    deep = ("[" * 5000 + "]" * 5000).encode()

    assert post_line(Client(), deep).status_code == 400
