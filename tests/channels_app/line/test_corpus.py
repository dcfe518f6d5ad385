"""Every LINE webhook body of the corpus (tests/channels_app/line/corpus/: every
message and event type, redeliveries, batches and hostile inputs) through the signed
webhook: each is answered 200, nothing raises, and what it should leave is there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from channels_app.models import MessagingContact
from tests.channels_app.line.line_posts import post_line
from tickets.models import Customer, InboundEvent, Message

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.json"))

pytestmark = pytest.mark.django_db


def test_the_corpus_covers_every_kind():
    kinds = {json.loads(path.read_text(encoding="utf-8"))["kind"] for path in FILES}
    assert kinds >= {
        "verification", "message_text", "message_image", "message_video", "message_audio", "message_file",
        "message_sticker", "message_location", "follow", "unfollow", "postback", "redelivery", "batch", "hostile",
    }  # fmt: skip


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_corpus_body_is_taken(path, fake_line, django_capture_on_commit_callbacks):
    case = json.loads(path.read_text(encoding="utf-8"))
    expect = case["expect"]

    with django_capture_on_commit_callbacks(execute=True):
        response = post_line(Client(), case["body"])

    assert response.status_code == 200, response.content
    assert not InboundEvent.objects.filter(status=InboundEvent.Status.FAILED).exists()
    messages = Message.objects.order_by("id")
    if "messages" in expect:
        assert messages.count() == expect["messages"]
    if "messages_at_most" in expect:
        assert messages.count() <= expect["messages_at_most"]
    if "text" in expect:
        assert messages.first().text == expect["text"]
    if "text_startswith" in expect:
        assert messages.first().text.startswith(expect["text_startswith"])
    if "attachments" in expect:
        assert messages.first().attachments.count() == expect["attachments"]
    if "customers" in expect:
        assert Customer.objects.count() == expect["customers"]
    if "opted_out" in expect:
        assert MessagingContact.objects.get(platform="line").opted_out is expect["opted_out"]
    assert all(message.channel == "line" for message in messages)
