"""/ws/console/: the agent console's live connection.

It forwards the helpdesk's realtime events (new messages, ticket changes, delivery
statuses, notifications), keeps the agent's presence, and tells the agents on one
ticket about each other ("viewing", "typing"). Everything shared goes through the
channel layer and the database, never this process's memory, so it works with any
number of server processes."""

from __future__ import annotations

import inspect
import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.consumer import get_handler_name
from channels.generic.websocket import JsonWebsocketConsumer

from tickets import events
from tickets.models import AgentProfile, Ticket
from tickets.permissions import is_agent
from tickets.services import presence
from tickets.services.console import agent_group

# The close code for "not allowed", in the private-use range of RFC 6455 §7.4.2.
CLOSE_FORBIDDEN = 4403
MAX_FRAME_CHARS = 4096
MAX_WATCHED_TICKETS = 20
COLLISION_STATES = {"viewing", "typing", "idle"}


class FrameError(ValueError):
    pass


def _ticket_id(content: dict[str, Any]) -> int:
    value = content.get("ticket")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise FrameError("'ticket' must be a ticket id")
    ticket_id = int(value)
    if ticket_id <= 0 or ticket_id > 2**62 or not Ticket.objects.filter(pk=ticket_id).exists():
        raise FrameError("no such ticket")
    return ticket_id


class ConsoleConsumer(JsonWebsocketConsumer):
    async def __call__(self, scope, receive, send) -> None:
        # The server's own send, for the frames that go out from the event loop
        # (a sync consumer's base_send may only be called from a sync thread).
        self.send_from_loop = send
        await super().__call__(scope, receive, send)

    def connect(self) -> None:
        user = self.scope.get("user")
        if not is_agent(user):
            self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.agent_name = user.get_full_name() or user.get_username()
        # The tickets this one socket has open: its own state, not shared state.
        self.watching: set[int] = set()
        for group in (events.CONSOLE_GROUP, agent_group(user.pk)):
            async_to_sync(self.channel_layer.group_add)(group, self.channel_name)
        self.accept()
        presence.presence_connect(user_id=user.pk)
        self.send_json({"type": "hello", "user": user.pk, "heartbeat_s": presence.HEARTBEAT_S})

    def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        for ticket_id in list(self.watching):
            self._leave(ticket_id)
        for group in (events.CONSOLE_GROUP, agent_group(self.user.pk)):
            async_to_sync(self.channel_layer.group_discard)(group, self.channel_name)
        presence.presence_disconnect(user_id=self.user.pk)

    # Frames from the browser.

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Any frame that is not a small JSON object of a known type gets an error
        frame back; the connection stays up."""
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            self._error(f"frames are JSON text of at most {MAX_FRAME_CHARS} characters")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # nesting past the decoder's limit is not JSON we take
            self._error("not JSON")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            self._error("a frame is a JSON object with a 'type'")
            return
        handler = {
            "heartbeat": self._on_heartbeat,
            "presence": self._on_presence,
            "ticket.view": self._on_view,
            "ticket.leave": self._on_leave,
            "typing": self._on_typing,
        }.get(content.get("type"))
        if handler is None:
            self._error("unknown frame type")
            return
        try:
            handler(content)
        except FrameError as exc:
            self._error(str(exc))

    def _error(self, text: str) -> None:
        self.send_json({"type": "error", "error": text})

    def _on_heartbeat(self, content: dict[str, Any]) -> None:
        presence.presence_heartbeat(user_id=self.user.pk)
        self.send_json({"type": "heartbeat.ok"})

    def _on_presence(self, content: dict[str, Any]) -> None:
        state = content.get("presence")
        if state not in (AgentProfile.Presence.ONLINE, AgentProfile.Presence.AWAY):
            raise FrameError("presence is 'online' or 'away'")
        presence.presence_set(user_id=self.user.pk, presence=state)
        self.send_json({"type": "presence.ok", "presence": state})

    def _on_view(self, content: dict[str, Any]) -> None:
        ticket_id = _ticket_id(content)
        if ticket_id not in self.watching:
            if len(self.watching) >= MAX_WATCHED_TICKETS:
                raise FrameError("too many tickets open on one connection")
            async_to_sync(self.channel_layer.group_add)(events.ticket_group(ticket_id), self.channel_name)
            self.watching.add(ticket_id)
        # announce: whoever is already there answers, so the newcomer learns of them too.
        self._broadcast(ticket_id, "viewing", announce=True)

    def _on_leave(self, content: dict[str, Any]) -> None:
        ticket_id = _ticket_id(content)
        if ticket_id in self.watching:
            self._leave(ticket_id)

    def _on_typing(self, content: dict[str, Any]) -> None:
        ticket_id = _ticket_id(content)
        if ticket_id not in self.watching:
            raise FrameError("open the ticket first")
        self._broadcast(ticket_id, "typing" if content.get("typing") else "viewing")

    def _leave(self, ticket_id: int) -> None:
        self._broadcast(ticket_id, "left")
        async_to_sync(self.channel_layer.group_discard)(events.ticket_group(ticket_id), self.channel_name)
        self.watching.discard(ticket_id)

    def _broadcast(self, ticket_id: int, state: str, *, announce: bool = False) -> None:
        async_to_sync(self.channel_layer.group_send)(
            events.ticket_group(ticket_id),
            {
                "type": "console.collision",
                "ticket": ticket_id,
                "agent": {"id": self.user.pk, "name": self.agent_name},
                "state": state,
                "announce": announce,
                "sender": self.channel_name,
            },
        )

    # Messages from the channel layer.

    async def dispatch(self, message: dict[str, Any]) -> None:
        # The groups are shared with other apps (the live chat talks on ticket groups):
        # a message type this consumer does not know is not for it, and must not close it.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            return
        if inspect.iscoroutinefunction(handler):
            await handler(message)
        else:
            await super().dispatch(message)

    async def helpdesk_event(self, message: dict[str, Any]) -> None:
        """Every event of the helpdesk passes here. It needs no database, so it goes out
        from the event loop instead of queueing for the process's one sync thread
        behind other connections' database work."""
        await self.send_from_loop({"type": "websocket.send", "text": self.encode_json(message["event"])})

    def console_collision(self, message: dict[str, Any]) -> None:
        if message["sender"] == self.channel_name or message["agent"]["id"] == self.user.pk:
            return
        self.send_json(
            {"type": "collision", "ticket": message["ticket"], "agent": message["agent"], "state": message["state"]}
        )
        if message.get("announce") and message["ticket"] in self.watching:
            self._broadcast(message["ticket"], "viewing")
