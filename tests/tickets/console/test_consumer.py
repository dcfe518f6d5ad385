"""/ws/console/ through the real channel layer (in-memory, or Redis when REDIS_URL is set)."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from helpdesk.asgi import application
from tests.factories import deliver, make_user
from tests.realtime import sync_thread_busy
from tickets import events
from tickets.console.consumers import ConsoleConsumer
from tickets.models import AgentProfile, Role
from tickets.services.console import note_create
from tickets.services.delivery import delivery_record
from tickets.services.replies import reply_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def open_console(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ConsoleConsumer.as_asgi(), "/ws/console/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello" and hello["user"] == user.pk
    return communicator


async def receive_type(communicator, kind: str, timeout: float = 3) -> dict:
    """The next frame of this type; frames of other types are skipped."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await communicator.receive_json_from(timeout=timeout)
            if frame["type"] == kind:
                return frame


async def presence_of(user) -> str:
    return await sync_to_async(lambda: AgentProfile.objects.get(user=user).presence)()


@pytest.fixture
def agents(db, roles):
    return make_user("agent1", roles=[Role.AGENT], first_name="Ann"), make_user("agent2", roles=[Role.AGENT])


async def test_anonymous_and_customers_are_refused(roles):
    from django.contrib.auth.models import AnonymousUser

    customer = await sync_to_async(make_user)("customer")
    for user in (AnonymousUser(), customer):
        communicator = WebsocketCommunicator(ConsoleConsumer.as_asgi(), "/ws/console/")
        communicator.scope["user"] = user
        connected, code = await communicator.connect()
        assert (connected, code) == (False, 4403)


async def test_a_signed_in_agent_connects_through_the_real_asgi_stack(agents):
    client = Client()
    await sync_to_async(client.force_login)(agents[0])
    headers = [(b"origin", b"http://testserver"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    communicator = WebsocketCommunicator(application, "/ws/console/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "hello"
    await communicator.disconnect()
    anonymous = WebsocketCommunicator(application, "/ws/console/", headers=[(b"origin", b"http://testserver")])
    assert (await anonymous.connect())[0] is False


async def test_new_messages_and_delivery_statuses_arrive_live(agents):
    console = await open_console(agents[0])
    result = await sync_to_async(deliver)("sms", "+66812345678", "Is anyone there?")
    event = await receive_type(console, "message.created")
    assert event["message"]["ticket"] == result.ticket.pk
    assert event["message"]["text"] == "Is anyone there?"

    @transaction.atomic
    def fail_a_reply():
        # The provider's answer lands before the send task could claim the message.
        reply = reply_create(ticket=result.ticket, author=agents[0], text="Yes!", channel="sms")
        delivery_record(message=reply, status="failed", error="Unknown error", error_code="30008")
        return reply

    reply = await sync_to_async(fail_a_reply)()
    status = await receive_type(console, "message.status")
    while status["message"] != reply.pk:
        status = await receive_type(console, "message.status")
    assert (status["delivery_status"], status["error_code"], status["error"]) == ("failed", "30008", "Unknown error")
    await console.disconnect()


async def test_agents_on_one_ticket_see_each_other_viewing_and_typing(agents):
    ann, bob = agents
    ticket = (await sync_to_async(deliver)("sms", "+66812345678", "hello")).ticket
    ann_console = await open_console(ann)
    bob_console = await open_console(bob)

    await ann_console.send_json_to({"type": "ticket.view", "ticket": ticket.pk})
    await bob_console.send_json_to({"type": "ticket.view", "ticket": ticket.pk})
    seen_by_bob = await receive_type(bob_console, "collision")
    # Bob arrived second: Ann's console answers his announcement, so he learns of her.
    assert seen_by_bob == {"type": "collision", "ticket": ticket.pk, "agent": {"id": ann.pk, "name": "Ann"}, "state": "viewing"}
    seen_by_ann = await receive_type(ann_console, "collision")
    assert (seen_by_ann["agent"]["id"], seen_by_ann["state"]) == (bob.pk, "viewing")

    await ann_console.send_json_to({"type": "typing", "ticket": ticket.pk, "typing": True})
    typing = await receive_type(bob_console, "collision")
    assert (typing["agent"]["id"], typing["state"]) == (ann.pk, "typing")

    await ann_console.disconnect()
    left = await receive_type(bob_console, "collision")
    assert (left["agent"]["id"], left["state"]) == (ann.pk, "left")
    await bob_console.disconnect()


async def test_malformed_frames_get_an_error_frame_and_the_connection_lives_on(agents):
    console = await open_console(agents[0])
    bad_frames = [
        "not json",
        "[1, 2]",
        json.dumps({"type": "nope"}),
        json.dumps({"no": "type"}),
        json.dumps({"type": "ticket.view", "ticket": "abc"}),
        json.dumps({"type": "ticket.view", "ticket": True}),
        json.dumps({"type": "ticket.view", "ticket": 10**30}),
        json.dumps({"type": "ticket.view", "ticket": 999999}),
        json.dumps({"type": "typing", "ticket": None}),
        json.dumps({"type": "presence", "presence": "offline"}),
        "x" * 10_000,
    ]
    for frame in bad_frames:
        await console.send_to(text_data=frame)
        answer = await receive_type(console, "error")
        assert answer["error"], frame
    # Traffic of other apps on the shared groups is ignored, not fatal.
    from channels.layers import get_channel_layer

    await get_channel_layer().group_send("console", {"type": "chat.something.else", "x": 1})
    await console.send_to(bytes_data=b"\x00\x01")
    assert (await receive_type(console, "error"))["error"]
    await console.send_json_to({"type": "heartbeat"})
    assert (await receive_type(console, "heartbeat.ok"))["type"] == "heartbeat.ok"
    await console.disconnect()


async def test_presence_follows_connections_and_the_away_toggle(agents):
    ann = agents[0]
    assert await presence_of(ann) == "offline"
    first = await open_console(ann)
    second = await open_console(ann)
    assert await presence_of(ann) == "online"
    await first.disconnect()
    assert await presence_of(ann) == "online"  # one tab is still open
    await second.send_json_to({"type": "presence", "presence": "away"})
    assert (await receive_type(second, "presence.ok"))["presence"] == "away"
    assert await presence_of(ann) == "away"
    third = await open_console(ann)
    assert await presence_of(ann) == "away"  # a new tab does not override the choice
    await third.disconnect()
    await second.disconnect()
    assert await presence_of(ann) == "offline"


async def test_a_mention_rings_the_mentioned_agents_bell(agents):
    ann, bob = agents
    bob_console = await open_console(bob)
    ticket = (await sync_to_async(deliver)("sms", "+66812345678", "hello")).ticket
    # Bob is the only agent online: the new ticket was assigned to him, and he heard of it.
    assigned = await receive_type(bob_console, "notification.created")
    assert (assigned["notification"]["kind"], assigned["notification"]["ticket"]) == ("assignment", ticket.pk)
    await sync_to_async(note_create)(ticket=ticket, author=ann, text="@agent2 please take this one")
    notification = await receive_type(bob_console, "notification.created")
    assert notification["notification"]["kind"] == "mention"
    assert notification["notification"]["ticket"] == ticket.pk
    assert "please take this one" in notification["notification"]["text"]
    await bob_console.disconnect()


async def test_events_reach_the_console_while_the_sync_thread_is_busy(agents):
    console = await open_console(agents[0])
    event = {"type": "ticket.changed", "ticket": 7, "changes": {"status": "pending"}}
    async with sync_thread_busy():
        await get_channel_layer().group_send(events.CONSOLE_GROUP, {"type": "helpdesk.event", "event": event})
        frame = await receive_type(console, "ticket.changed", timeout=2)
    assert frame == event
    await console.disconnect()
