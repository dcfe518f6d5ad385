"""The widget's rating card and the chat session's lifecycle, through the real ASGI
stack, channel layer and database."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from tests.channels_app.chat.test_consumers import _close_the_tests_connection, new_token, open_chat  # noqa: F401
from tests.factories import make_user
from tickets.models import ChatSessionLog, Message, Role, Survey, Ticket
from tickets.services.chat_sessions import chat_session_end, chat_session_idle_sweep
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db(transaction=True)


async def frame_of(chat, kind: str) -> dict:
    """The next frame of a type, skipping echoes and statuses."""
    for _ in range(20):
        frame = await chat.receive_json_from(timeout=5)
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


async def card_of(chat) -> dict:
    """The next survey card among the agent side's messages."""
    for _ in range(20):
        frame = await frame_of(chat, "message")
        if frame["direction"] == "out" and "survey" in frame:
            return frame["survey"]
    raise AssertionError("no survey card")


async def start(chat, text: str) -> int:
    await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": text})
    return (await frame_of(chat, "ack"))["ticket"]


async def test_the_customer_rates_in_the_card_one_question_after_another(settings):
    settings.HELPDESK_SURVEY_KINDS = ["csat", "nps"]
    token = new_token()
    chat, _ = await open_chat(token)
    ticket_id = await start(chat, "My voucher does not work")

    def agent_resolves():
        agent = make_user("nok", roles=[Role.AGENT], first_name="Nok")
        ticket = Ticket.objects.get(pk=ticket_id)
        reply_create(ticket=ticket, author=agent, text="Fixed, try again")
        ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)

    await sync_to_async(agent_resolves)()
    card = await card_of(chat)
    assert (card["kind"], card["scale_min"], card["scale_max"], card["answered"]) == ("csat", 1, 5, None)

    await chat.send_json_to({"type": "survey", "survey": card["id"], "score": 9})
    assert (await frame_of(chat, "error"))["code"] == "bad_score"
    await chat.send_json_to({"type": "survey", "survey": card["id"], "score": 4})
    # The answer's confirmation and the next question, in either order.
    answered, following = None, None
    while answered is None or following is None:
        frame = await chat.receive_json_from(timeout=5)
        if frame["type"] == "survey":
            answered = frame
        elif frame["type"] == "message" and "survey" in frame:
            following = frame["survey"]
    assert answered == {"type": "survey", "survey": card["id"], "score": 4}
    assert (following["kind"], following["scale_min"], following["scale_max"]) == ("nps", 0, 10)
    await chat.send_json_to({"type": "survey", "survey": card["id"], "score": 5})  # answered already
    assert (await frame_of(chat, "error"))["code"] == "no_survey"

    # The answer is no message of the conversation: nothing inbound, nothing reopened.
    ticket = await sync_to_async(Ticket.objects.get)(pk=ticket_id)
    assert (ticket.status, ticket.reopen_count) == ("resolved", 0)
    assert await sync_to_async(Message.objects.filter(ticket_id=ticket_id, direction="in").count)() == 1
    assert await sync_to_async(Survey.objects.get)(pk=card["id"], score=4)
    await chat.disconnect()

    # Reloaded, the history shows the first card answered and the second waiting.
    again, welcome = await open_chat(token)
    cards = [m["survey"] for m in welcome["history"] if "survey" in m]
    assert [(c["kind"], c["answered"]) for c in cards] == [("csat", 4), ("nps", None)]
    await again.disconnect()


async def test_another_visitors_survey_cannot_be_answered():
    chat, _ = await open_chat(new_token())
    await start(chat, "hello")
    other = await sync_to_async(Survey.objects.count)()
    await chat.send_json_to({"type": "survey", "survey": other + 999, "score": 3})
    assert (await frame_of(chat, "error"))["code"] == "no_survey"
    await chat.send_json_to({"type": "survey", "survey": "1", "score": 3})
    assert (await frame_of(chat, "error"))["code"] == "missing_field"
    await chat.disconnect()


async def test_a_session_starts_with_a_message_and_ends_when_the_customer_leaves():
    chat, _ = await open_chat(new_token())
    ticket_id = await start(chat, "hello")
    live = await sync_to_async(ChatSessionLog.objects.get)(ticket_id=ticket_id)
    assert live.ended_at is None
    await start(chat, "are you there?")
    assert await sync_to_async(ChatSessionLog.objects.filter(ticket_id=ticket_id).count)() == 1

    await chat.send_json_to({"type": "leave"})
    assert (await frame_of(chat, "ended"))["reason"] == "left"
    ended = await sync_to_async(ChatSessionLog.objects.get)(pk=live.pk)
    assert ended.end_reason == "left" and ended.ended_at is not None
    # Writing again starts a new session.
    await start(chat, "one more thing")
    assert await sync_to_async(ChatSessionLog.objects.filter(ticket_id=ticket_id, ended_at__isnull=True).count)() == 1
    await chat.disconnect()


async def test_the_agent_ends_the_session_and_the_widget_hears_it():
    chat, _ = await open_chat(new_token())
    ticket_id = await start(chat, "hello")
    assert await sync_to_async(chat_session_end)(ticket_id=ticket_id, reason="agent")
    assert (await frame_of(chat, "ended"))["reason"] == "agent"
    assert not await sync_to_async(chat_session_end)(ticket_id=ticket_id, reason="agent")  # once
    await chat.disconnect()


async def test_an_idle_session_ends_at_its_last_activity_plus_the_timeout(settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.HELPDESK_CHAT_IDLE_MINUTES = 30
    chat, _ = await open_chat(new_token())
    ticket_id = await start(chat, "hello")
    await chat.disconnect()
    session = await sync_to_async(ChatSessionLog.objects.get)(ticket_id=ticket_id)
    assert await sync_to_async(chat_session_idle_sweep)(now=timezone.now() + timedelta(minutes=29)) == 0
    assert await sync_to_async(chat_session_idle_sweep)(now=timezone.now() + timedelta(minutes=45)) == 1
    assert await sync_to_async(chat_session_idle_sweep)(now=timezone.now() + timedelta(minutes=45)) == 0
    session = await sync_to_async(ChatSessionLog.objects.get)(pk=session.pk)
    assert session.end_reason == "idle"
    assert session.ended_at == session.last_activity_at + timedelta(minutes=30)
