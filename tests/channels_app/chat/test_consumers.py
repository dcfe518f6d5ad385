"""The customer's websocket, driven with real frames through the real ASGI stack
(origin check, routing, consumer) and the real channel layer and database."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections

from channels_app.chat import consumers
from channels_app.chat.session import session_start
from helpdesk.asgi import application
from tests.factories import make_user
from tests.realtime import sync_thread_busy
from tickets import events, pipeline_worker
from tickets.models import ChatSessionLog, InboundEvent, Message, Role, Ticket
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://testserver"


@pytest.fixture(autouse=True)
async def _close_the_tests_connection():
    """The tests' own queries (sync_to_async) run on the thread for sync code. The
    consumer runs in threads of its own and no longer closes that thread's connection
    after it, which would keep the test database from being dropped."""
    yield
    await sync_to_async(connections.close_all)()


async def open_chat(token: str, *, origin: bytes = ORIGIN) -> tuple[WebsocketCommunicator, dict]:
    communicator = WebsocketCommunicator(
        application, f"/ws/chat/?token={token}", headers=[(b"origin", origin), (b"host", b"testserver")]
    )
    connected, _ = await communicator.connect()
    assert connected
    welcome = await communicator.receive_json_from(timeout=5)
    return communicator, welcome


async def listen(group: str) -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


async def next_event(channel: str, kind: str, timeout: float = 5) -> dict:

    layer = get_channel_layer()
    async with asyncio.timeout(timeout):
        while True:
            message = await layer.receive(channel)
            if message["event"]["type"] == kind:
                return message["event"]


def new_token(**fields) -> str:
    return session_start(name=fields.pop("name", "Somchai"), **fields)[1]


async def test_a_message_goes_through_the_pipeline_and_reaches_the_console():
    console = await listen(events.CONSOLE_GROUP)
    chat, welcome = await open_chat(new_token(email="somchai@example.com"))
    assert welcome["type"] == "welcome" and welcome["ticket"] is None and welcome["history"] == []
    assert welcome["can_email_transcript"] is True

    client_id = str(uuid.uuid4())
    await chat.send_json_to({"type": "message", "id": client_id, "text": "สวัสดีครับ my order is late"})
    ack = await chat.receive_json_from(timeout=5)
    assert ack["type"] == "ack" and ack["client_id"] == client_id

    event = await next_event(console, "message.created")
    assert event["message"]["id"] == ack["id"]
    assert event["message"]["channel"] == "chat" and event["message"]["direction"] == "in"
    assert event["message"]["text"] == "สวัสดีครับ my order is late"

    message = await sync_to_async(Message.objects.select_related("customer").get)(pk=ack["id"])
    assert message.ticket_id == ack["ticket"]
    assert message.customer.name == "Somchai"
    # A claim until verified (tests/channels_app/chat/test_identity_claims.py).
    assert await sync_to_async(message.customer.identity_claims.filter(kind="email", address="somchai@example.com").exists)()
    await chat.disconnect()


async def test_a_resent_message_uuid_is_stored_once():
    chat, _ = await open_chat(new_token())
    client_id = str(uuid.uuid4())
    await chat.send_json_to({"type": "message", "id": client_id, "text": "hello"})
    first = await chat.receive_json_from(timeout=5)
    assert first["type"] == "ack"
    await chat.receive_json_from(timeout=5)  # the echo to the visitor's other tabs
    await chat.send_json_to({"type": "message", "id": client_id, "text": "hello"})
    second = await chat.receive_json_from(timeout=5)
    assert second == first
    assert await sync_to_async(Message.objects.filter(channel="chat").count)() == 1
    await chat.disconnect()


async def test_a_message_is_acknowledged_once_stored_and_its_ids_follow_from_the_pipeline(accepted_not_processed):
    token = new_token()
    console = await listen(events.CONSOLE_GROUP)
    chat, _ = await open_chat(token)
    other_tab, _ = await open_chat(token)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await chat.send_json_to({"type": "message", "id": first, "text": "hello"})
    await chat.send_json_to({"type": "message", "id": second, "text": "is anyone there?"})
    # Sent again after a reconnect, before processing: acknowledged again, stored once.
    await chat.send_json_to({"type": "message", "id": first, "text": "hello"})
    acks = [await chat.receive_json_from(timeout=5) for _ in range(3)]
    assert acks == [{"type": "ack", "client_id": client_id, "status": "stored"} for client_id in (first, second, first)]
    assert await sync_to_async(InboundEvent.objects.filter(channel="chat").count)() == 2
    assert not await sync_to_async(Message.objects.exists)()

    assert await sync_to_async(pipeline_worker.pipeline_pass)() > 0

    for tab in (chat, other_tab):
        frames = [await tab.receive_json_from(timeout=5) for _ in range(2)]
        assert [(frame["type"], frame["client_id"], frame["text"]) for frame in frames] == [
            ("message", first, "hello"),
            ("message", second, "is anyone there?"),
        ]
    # The widget's first two messages, sent before it knew a ticket: one conversation.
    assert frames[0]["ticket"] == frames[1]["ticket"]
    event = await next_event(console, "message.created")
    assert event["message"]["id"] == frames[0]["id"]
    assert await sync_to_async(ChatSessionLog.objects.filter(ticket_id=frames[0]["ticket"], ended_at=None).exists)()

    # The tab joined the ticket from the frame: the agent's typing reaches it.
    layer = get_channel_layer()
    collision = {"type": "console.collision", "ticket": frames[0]["ticket"], "agent": {"id": 1, "name": "Nok"}}
    await layer.group_send(events.ticket_group(frames[0]["ticket"]), {**collision, "state": "typing"})
    assert (await chat.receive_json_from(timeout=5))["type"] == "typing"
    assert (await chat.receive_json_from(timeout=5))["type"] == "read"

    # A resend once processed is acknowledged with the ids.
    await chat.send_json_to({"type": "message", "id": second, "text": "is anyone there?"})
    assert await chat.receive_json_from(timeout=5) == {
        "type": "ack", "client_id": second, "status": "stored", "id": frames[1]["id"], "ticket": frames[1]["ticket"]
    }  # fmt: skip
    await chat.disconnect()
    await other_tab.disconnect()


async def test_a_message_is_stored_and_acknowledged_while_the_sync_thread_is_busy():
    chat, _ = await open_chat(new_token())
    async with sync_thread_busy():
        await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": "anyone there?"})
        ack = await chat.receive_json_from(timeout=5)
    assert ack["type"] == "ack"
    assert await sync_to_async(Message.objects.filter(pk=ack["id"], text="anyone there?").exists)()
    await chat.disconnect()


async def test_frames_sent_back_to_back_are_handled_in_order():
    chat, _ = await open_chat(new_token())
    client_ids = [str(uuid.uuid4()) for _ in range(5)]
    for number, client_id in enumerate(client_ids):
        await chat.send_json_to({"type": "message", "id": client_id, "text": f"part {number}"})
    acks = []
    while len(acks) < len(client_ids):
        frame = await chat.receive_json_from(timeout=5)
        if frame["type"] == "ack":
            acks.append(frame)
    assert [ack["client_id"] for ack in acks] == client_ids
    stored = await sync_to_async(list)(
        Message.objects.filter(channel="chat").order_by("pk").values_list("text", flat=True)
    )
    assert stored == [f"part {number}" for number in range(5)]
    await chat.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json at all {", "bad_json"),
        ("[1, 2, 3]", "bad_frame"),
        ('{"text": "no type"}', "bad_frame"),
        ('{"type": "launch_missiles"}', "unknown_type"),
        ('{"type": "message", "text": "no id"}', "missing_field"),
        ('{"type": "message", "id": "not-a-uuid", "text": "x"}', "invalid_id"),
        (json.dumps({"type": "message", "id": str(uuid.uuid4()), "text": "   "}), "empty_message"),
        (json.dumps({"type": "message", "id": str(uuid.uuid4()), "text": "x" * 4001}), "message_too_long"),
        (json.dumps({"type": "message", "id": str(uuid.uuid4()), "text": "x" * 9000}), "frame_too_large"),
        ('{"type": "read", "up_to": "seven"}', "missing_field"),
        ('{"type": "transcript"}', "missing_field"),
        ("[" * 5000 + "]" * 5000, "frame_too_large"),
    ],
)
async def test_malformed_frames_get_a_clear_error_and_the_connection_lives_on(frame, code):
    chat, _ = await open_chat(new_token())
    await chat.send_to(text_data=frame)
    error = await chat.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == code and error["message"]
    await chat.send_json_to({"type": "ping"})
    assert await chat.receive_json_from(timeout=5) == {"type": "pong"}
    assert await sync_to_async(Message.objects.count)() == 0
    await chat.disconnect()


async def test_binary_frames_are_refused():
    chat, _ = await open_chat(new_token())
    await chat.send_to(bytes_data=b"\x00\xff" * 100)
    error = await chat.receive_json_from(timeout=5)
    assert error["code"] == "binary_not_supported"
    await chat.send_json_to({"type": "ping"})
    assert await chat.receive_json_from(timeout=5) == {"type": "pong"}
    await chat.disconnect()


async def test_a_burst_of_100_frames_is_rate_limited_then_closed():
    chat, _ = await open_chat(new_token())
    for _ in range(100):
        await chat.send_json_to({"type": "ping"})
    answers, closed = [], None
    while True:
        output = await chat.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            closed = output
            break
        answers.append(json.loads(output["text"]))
    pongs = [a for a in answers if a["type"] == "pong"]
    limited = [a for a in answers if a.get("code") == "rate_limited"]
    assert len(pongs) == consumers.BUCKET_CAPACITY
    assert len(limited) == consumers.MAX_STRIKES
    assert closed["code"] == consumers.CLOSE_POLICY
    await chat.disconnect()
    # The server is fine: the same visitor connects again.
    again, welcome = await open_chat(new_token())
    assert welcome["type"] == "welcome"
    await again.disconnect()


async def test_a_visitor_is_limited_across_connections(monkeypatch):
    monkeypatch.setattr(consumers, "VISITOR_MESSAGES", consumers.chat.VisitorRateLimiter(scope=f"t{uuid.uuid4().hex}", limit=2, window_s=3600))
    token = new_token()
    first, _ = await open_chat(token)
    second, _ = await open_chat(token)
    codes = []
    for chat in (first, second, first):
        await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": "spam"})
        codes.append((await chat.receive_json_from(timeout=5))["type"])
        if codes[-1] == "ack":
            # Both tabs see the echo of the stored message.
            await first.receive_json_from(timeout=5)
            await second.receive_json_from(timeout=5)
    assert codes == ["ack", "ack", "error"]
    assert await sync_to_async(Message.objects.count)() == 2
    await first.disconnect()
    await second.disconnect()


async def test_a_forged_token_is_turned_away():
    communicator = WebsocketCommunicator(
        application, "/ws/chat/?token=forged:token", headers=[(b"origin", ORIGIN), (b"host", b"testserver")]
    )
    connected, _ = await communicator.connect()
    assert connected
    error = await communicator.receive_json_from(timeout=5)
    assert error["code"] == "unauthorized"
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": consumers.CLOSE_UNAUTHORIZED}
    # As an ASGI server does after a close: the consumer then leaves the channel layer cleanly.
    await communicator.disconnect()


async def test_a_foreign_origin_cannot_connect():
    communicator = WebsocketCommunicator(
        application,
        f"/ws/chat/?token={new_token()}",
        headers=[(b"origin", b"https://evil.example"), (b"host", b"testserver")],
    )
    connected, _ = await communicator.connect()
    assert not connected


def _agent():
    return make_user("agent-chat", roles=[Role.AGENT], first_name="Nok")


async def test_the_agents_reply_arrives_and_a_reload_resumes_without_notes():
    token = new_token()
    chat, _ = await open_chat(token)
    await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": "Where is my parcel?"})
    ack = await chat.receive_json_from(timeout=5)
    await chat.receive_json_from(timeout=5)  # echo

    def agent_answers():
        agent = _agent()
        ticket = Ticket.objects.get(pk=ack["ticket"])
        reply_create(ticket=ticket, author=agent, text="Internal: courier delayed", is_note=True)
        return reply_create(ticket=ticket, author=agent, text="It arrives tomorrow.").pk

    reply_id = await sync_to_async(agent_answers)()
    reply = await chat.receive_json_from(timeout=5)
    assert reply["type"] == "message" and reply["direction"] == "out"
    assert reply["id"] == reply_id and reply["text"] == "It arrives tomorrow." and reply["author"] == "Nok"
    stored = await sync_to_async(Message.objects.get)(pk=reply_id)
    assert stored.channel == "chat" and stored.delivery_status == "sent"
    assert stored.external_id == f"chat-out-{reply_id}"

    # The customer reads it: the console hears 'read'.
    console = await listen(events.CONSOLE_GROUP)
    await chat.send_json_to({"type": "read", "up_to": reply_id})
    status = await next_event(console, "message.status")
    assert status["message"] == reply_id and status["delivery_status"] == "read"
    await chat.disconnect()

    # A reload: the same token resumes the conversation, and never shows the note.
    again, welcome = await open_chat(token)
    assert welcome["ticket"] == ack["ticket"]
    assert [(m["direction"], m["text"]) for m in welcome["history"]] == [
        ("in", "Where is my parcel?"),
        ("out", "It arrives tomorrow."),
    ]
    await again.disconnect()


async def test_typing_goes_both_ways_through_the_ticket_group():
    chat, _ = await open_chat(new_token(name="Ann"))
    await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": "hi"})
    ack = await chat.receive_json_from(timeout=5)
    await chat.receive_json_from(timeout=5)
    ticket_channel = await listen(events.ticket_group(ack["ticket"]))

    await chat.send_json_to({"type": "typing", "active": True})
    typing = await next_event(ticket_channel, "typing")
    assert typing == {"type": "typing", "ticket": ack["ticket"], "who": "customer", "name": "Ann", "active": True}

    # The console tells its peers on the ticket group that an agent types.
    layer = get_channel_layer()
    collision = {"type": "console.collision", "ticket": ack["ticket"], "agent": {"id": 1, "name": "Nok Sukjai"},
                 "announce": False, "sender": "elsewhere"}
    await layer.group_send(events.ticket_group(ack["ticket"]), {**collision, "state": "typing"})
    frame = await chat.receive_json_from(timeout=5)
    assert frame == {"type": "typing", "who": "agent", "name": "Nok", "active": True}
    # An agent with the ticket open has read the customer's messages.
    assert (await chat.receive_json_from(timeout=5))["type"] == "read"
    await layer.group_send(events.ticket_group(ack["ticket"]), {**collision, "state": "left"})
    assert (await chat.receive_json_from(timeout=5))["active"] is False

    # A message type the chat has no handler for does not break the connection.
    await layer.group_send(events.ticket_group(ack["ticket"]), {"type": "console.something.new"})
    # Notes and other console traffic on the ticket group never reach the customer.
    await sync_to_async(events.send_event)(
        [events.ticket_group(ack["ticket"])], {"type": "message.created", "message": {"direction": "note"}}
    )
    await chat.send_json_to({"type": "ping"})
    assert await chat.receive_json_from(timeout=5) == {"type": "pong"}
    await chat.disconnect()
