"""Two ASGI server processes on the Redis channel layer and one database: the
customer's chat websocket on one, the agent's console websocket on the other, and
messages crossing between them both ways."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import urllib.request
import uuid

import pytest
import websockets
from django.conf import settings
from rest_framework.authtoken.models import Token

from tests.e2e.servers import api_request, session_cookie_for
from tickets.models import Message

pytestmark = pytest.mark.services


def post(url: str, data: dict) -> dict:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def receive_until(socket, predicate, *, timeout: float = 10.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if predicate(frame):
                return frame


def test_a_conversation_crosses_two_server_processes(asgi_server_factory, transactional_db, e2e_agent):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: without the Redis channel layer, server processes cannot share events")
    customer_server, agent_server = asgi_server_factory(), asgi_server_factory()
    assert customer_server.process.pid != agent_server.process.pid

    chat_token = post(customer_server.url + "/chat/session/", {"name": "Anan", "email": "anan@example.com"})["token"]
    cookie = session_cookie_for(e2e_agent, url=agent_server.url)
    api_token = Token.objects.create(user=e2e_agent).key

    async def conversation() -> tuple[dict, dict]:
        async with (
            websockets.connect(
                f"{agent_server.ws_url}/ws/console/",
                origin=agent_server.origin,
                additional_headers={"Cookie": f"{cookie['name']}={cookie['value']}"},
            ) as agent,
            websockets.connect(
                f"{customer_server.ws_url}/ws/chat/?token={chat_token}", origin=customer_server.origin
            ) as customer,
        ):
            assert (await receive_until(agent, lambda f: f["type"] == "hello"))["user"] == e2e_agent.pk
            await receive_until(customer, lambda f: f["type"] == "welcome")

            # Customer -> agent: stored by process A, seen by the console on process B.
            await customer.send(json.dumps({"type": "message", "id": str(uuid.uuid4()), "text": "Hello from A"}))
            created = await receive_until(
                agent, lambda f: f["type"] == "message.created" and f["message"]["text"] == "Hello from A"
            )

            # Agent -> customer: the reply is sent by process B, the customer is on process A.
            ticket_id = created["message"]["ticket"]
            await asyncio.to_thread(
                api_request, f"{agent_server.url}/api/v1/tickets/{ticket_id}/messages/", {"text": "Hello from B"},
                token=api_token,
            )  # fmt: skip
            reply = await receive_until(customer, lambda f: f["type"] == "message" and f["direction"] == "out")
            return created, reply

    created, reply = asyncio.run(conversation())
    assert created["message"]["channel"] == "chat" and created["message"]["direction"] == "in"
    assert reply["text"] == "Hello from B" and reply["author"] == "Nok"
    stored = Message.objects.get(pk=reply["id"])
    assert stored.channel == "chat" and stored.delivery_status == "sent"
    assert stored.ticket_id == created["message"]["ticket"]
