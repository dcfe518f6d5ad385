"""Every Messenger and Instagram webhook body of the corpus (tests/channels_app/meta/corpus/:
messages, attachments, postbacks, quick replies, receipts, echoes, batches, redeliveries and
hostile inputs) through the signed webhook: answered 200, nothing raises, the right result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from tests.channels_app.meta.meta_posts import post_meta
from tickets.models import Attachment, Customer, InboundEvent, Message

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.json"))

pytestmark = pytest.mark.django_db


def test_the_corpus_covers_every_kind():
    kinds = {json.loads(path.read_text(encoding="utf-8"))["kind"] for path in FILES}
    assert kinds >= {
        "message_text", "message_attachment", "quick_reply", "postback", "read", "delivery", "echo", "batch",
        "redelivery", "hostile",
    }  # fmt: skip


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_corpus_body_is_taken(path, fake_meta, django_capture_on_commit_callbacks):
    case = json.loads(path.read_text(encoding="utf-8"))
    expect = case["expect"]

    with django_capture_on_commit_callbacks(execute=True):
        response = post_meta(Client(), case["body"])

    assert response.status_code == 200, response.content
    assert not InboundEvent.objects.filter(status=InboundEvent.Status.FAILED).exists()
    messages = Message.objects.order_by("id")
    if "messages" in expect:
        assert messages.count() == expect["messages"]
    if "messages_at_most" in expect:
        assert messages.count() <= expect["messages_at_most"]
    if "text" in expect:
        assert messages.first().text == expect["text"]
    if "attachments" in expect:
        assert messages.first().attachments.count() == expect["attachments"]
    if "customers" in expect:
        assert Customer.objects.count() == expect["customers"]
    channel = expect.get("channel", "messenger")
    assert all(message.channel == channel for message in messages)
    # Nothing outside Meta's CDN was ever fetched.
    assert not Attachment.objects.exclude(file="").exclude(source_url__contains="127.0.0.1").exists()
