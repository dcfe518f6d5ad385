"""Replies on LINE go through the official SDK to a fake LINE API over real HTTP, from
the real delivery task (run eagerly): a fresh reply token first, else a push with a
retry key, never twice; LINE's refusals explained to the agent in their language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from channels_app.line.tasks import resend_line_push
from tests.channels_app.line.line_posts import USER, batch, event, post_line, text_event
from tickets.delivery_errors import delivery_error_explanation
from tickets.models import Attachment, Message
from tickets.services.delivery import message_deliver
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db


def _inbound(fake_line, *, token: str = "tok-1", text: str = "สอบถามค่ะ", message_id: str = "700000000000000001"):
    fake_line.reply_tokens.add(token)
    post_line(Client(), batch(text_event(text, message_id=message_id, reply_token=token)))
    return Message.objects.get(external_id=message_id)


def _reply(capture, agent, inbound: Message, text: str = "ได้เลยค่ะ", **fields) -> Message:
    with capture(execute=True):
        message = reply_create(ticket=inbound.ticket, author=agent, text=text, channel="line", **fields)
    message.refresh_from_db()
    return message


def test_a_reply_within_the_token_life_uses_the_free_reply_token(fake_line, agent, django_capture_on_commit_callbacks):
    inbound = _inbound(fake_line)

    message = _reply(django_capture_on_commit_callbacks, agent, inbound)

    assert message.delivery_status == "sent"
    assert [sent["via"] for sent in fake_line.delivered] == ["reply"]
    assert fake_line.delivered[0]["messages"][0] == {"type": "text", "text": "ได้เลยค่ะ"}
    assert message.external_id == fake_line.delivered[0]["sent"][0]["id"]
    # A second answer cannot use the same token: it is pushed.
    second = _reply(django_capture_on_commit_callbacks, agent, inbound, "อีกเรื่องค่ะ")
    assert second.delivery_status == "sent"
    assert [sent["via"] for sent in fake_line.delivered] == ["reply", "push"]
    assert fake_line.delivered[1]["to"] == USER


def test_a_stale_token_is_not_tried_and_the_push_carries_a_retry_key(
    fake_line, agent, django_capture_on_commit_callbacks
):
    inbound = _inbound(fake_line)
    Message.objects.filter(pk=inbound.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    message = _reply(django_capture_on_commit_callbacks, agent, inbound)

    assert fake_line.requests_to("/v2/bot/message/reply") == []
    push = fake_line.requests_to("/v2/bot/message/push")[0]
    assert push.headers["X-Line-Retry-Key"] == str(message.idempotency_key)
    assert message.delivery_status == "sent"


def test_a_lost_answer_is_retried_with_the_same_key_and_sent_once(fake_line, agent, django_capture_on_commit_callbacks):
    inbound = _inbound(fake_line)
    Message.objects.filter(pk=inbound.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    fake_line.lose_next_answer()

    message = _reply(django_capture_on_commit_callbacks, agent, inbound)

    pushes = fake_line.requests_to("/v2/bot/message/push")
    assert len(pushes) == 2
    assert pushes[0].headers["X-Line-Retry-Key"] == pushes[1].headers["X-Line-Retry-Key"]
    assert len(fake_line.delivered) == 1
    assert message.delivery_status == "sent"
    assert message.external_id == fake_line.delivered[0]["sent"][0]["id"]


def test_a_push_that_ended_without_answer_is_settled_later_without_sending_twice(
    fake_line, agent, django_capture_on_commit_callbacks
):
    inbound = _inbound(fake_line)
    Message.objects.filter(pk=inbound.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=False):
        message = reply_create(ticket=inbound.ticket, author=agent, text="hello", channel="line")
    fake_line.lose_next_answer()
    message_deliver(message_id=message.pk, final_attempt=True)
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error_code) == ("failed", "no-answer")

    resend_line_push.apply(args=[message.pk])

    message.refresh_from_db()
    assert message.delivery_status == "sent"
    assert len(fake_line.delivered) == 1


def test_the_monthly_quota_is_explained_to_the_agent_in_thai(fake_line, agent, django_capture_on_commit_callbacks):
    inbound = _inbound(fake_line)
    Message.objects.filter(pk=inbound.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    fake_line.fail_next(429, "You have reached your monthly limit.", path="/v2/bot/message/push")

    message = _reply(django_capture_on_commit_callbacks, agent, inbound)

    assert (message.delivery_status, message.delivery_error_code) == ("failed", "line-quota")
    assert len(fake_line.requests_to("/v2/bot/message/push")) == 1
    with override("th"):
        explained = delivery_error_explanation(code=message.delivery_error_code, stored=message.delivery_error)
    assert "โควตา" in explained


def test_a_rate_limit_is_retried(fake_line, agent, django_capture_on_commit_callbacks):
    inbound = _inbound(fake_line)
    Message.objects.filter(pk=inbound.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    fake_line.fail_next(429, "The API rate limit has been exceeded. Try again later.", path="/v2/bot/message/push")

    message = _reply(django_capture_on_commit_callbacks, agent, inbound)

    assert message.delivery_status == "sent"
    assert len(fake_line.delivered) == 1


def test_after_unfollow_nothing_is_pushed(fake_line, agent, django_capture_on_commit_callbacks):
    inbound = _inbound(fake_line)
    post_line(Client(), batch(event("unfollow", timestamp=int(timezone.now().timestamp() * 1000))))

    message = _reply(django_capture_on_commit_callbacks, agent, inbound)

    assert (message.delivery_status, message.delivery_error_code) == ("failed", "line-unfollowed")
    assert fake_line.delivered == []


def test_an_image_and_a_file_go_out_as_an_image_and_a_link(fake_line, agent, django_capture_on_commit_callbacks):
    inbound = _inbound(fake_line)
    image = ContentFile(b"\x89PNG\r\n\x1a\n" + b"0" * 100, name="map.png")
    pdf = ContentFile(b"%PDF-1.4 receipt", name="receipt.pdf")
    image.content_type, pdf.content_type = "image/png", "application/pdf"

    message = _reply(django_capture_on_commit_callbacks, agent, inbound, "แผนที่และใบเสร็จค่ะ", attachments=[image, pdf])

    assert message.delivery_status == "sent", message.delivery_error
    sent = fake_line.delivered[0]["messages"]
    assert sent[0]["type"] == "image" and "/webhooks/twilio/media/" in sent[0]["originalContentUrl"]
    assert sent[1]["type"] == "text" and "receipt.pdf: http" in sent[1]["text"]
    assert Attachment.objects.filter(message=message).count() == 2


def test_a_survey_question_offers_its_scale_as_quick_reply_buttons(fake_line, django_capture_on_commit_callbacks):
    inbound = _inbound(fake_line)
    card = {"id": 1, "kind": "csat", "scale_min": 1, "scale_max": 5}

    message = _reply(
        django_capture_on_commit_callbacks, None, inbound, "พอใจแค่ไหนคะ", is_automatic=True, metadata={"survey": card}
    )

    assert message.delivery_status == "sent"
    items = fake_line.delivered[0]["messages"][0]["quickReply"]["items"]
    assert [item["action"]["text"] for item in items] == ["1", "2", "3", "4", "5"]
    assert items[0]["action"]["type"] == "message"


def test_a_survey_on_line_is_answered_by_tapping_a_quick_reply(fake_line, agent, django_capture_on_commit_callbacks):
    from tickets.models import Survey
    from tickets.services.surveys import survey_send
    from tickets.services.tickets import ticket_set_status

    inbound = _inbound(fake_line)
    _reply(django_capture_on_commit_callbacks, agent, inbound)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=inbound.ticket, status="resolved", actor=agent)
        survey_send(ticket_id=inbound.ticket_id, resolution_number=1)

    question = fake_line.delivered[-1]["messages"][-1]
    buttons = [item["action"]["text"] for item in question["quickReply"]["items"]]
    assert buttons[0] == "1" and len(buttons) >= 5
    with django_capture_on_commit_callbacks(execute=True):
        post_line(Client(), batch(text_event(buttons[-1], message_id="700000000000000099")))

    survey = Survey.objects.order_by("id").first()
    assert survey.channel == "line" and survey.status == "answered" and survey.score == int(buttons[-1])
    inbound.ticket.refresh_from_db()
    assert inbound.ticket.status == "resolved"  # an answer is not a new contact
