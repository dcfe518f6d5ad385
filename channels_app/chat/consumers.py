"""The customer's side of the live chat: /ws/chat/?token=<session token>.

A sync consumer, because it touches the ORM. Its frames run in a small pool of
threads of its own (CHAT_THREADS), not in Channels' one thread per process for sync
code, where they queued with every other consumer's work; one connection's frames
still run one at a time, in order. The channel layer's events need no database and
go out from the event loop. Every message goes through the one inbound pipeline:
the frame is checked, stored as the raw event and acknowledged at once; the pipeline
worker processes it within milliseconds and sends it back through the visitor's group,
with its id and ticket, to every open widget of the visitor (channels_app.chat.followups).
Replies come back through the channel layer's groups too, so the customer and the
agent may be connected to different server processes.

Frames from the widget (JSON text):
  {"type": "message", "id": "<uuid>", "text": "..."}
  {"type": "typing", "active": true}
  {"type": "read", "up_to": <message id>}
  {"type": "transcript", "request_id": "<uuid>"}
  {"type": "survey", "survey": <survey id>, "score": <n>}   (the rating card)
  {"type": "leave"}   (the customer ends the chat)
  {"type": "ping"}
Frames to the widget: welcome, message, ack, typing, read, status, transcript,
survey, ended, pong, and {"type": "error", "code": "...", "message": "..."} for anything wrong.
  {"type": "ack", "client_id": "<uuid>", "status": "stored"}   the message is stored; a
      resend of the same uuid is acknowledged again. "id" and "ticket" come along
      where it was processed already (the embedded defaults, a resend)
  {"type": "message", "client_id": "<uuid>", "id": <n>, "ticket": <n>, ...}   the
      processed message, to every widget of the visitor, the one that sent it too
A forged token, or the token of a customer since erased ("session_erased"), gets its
error frame and then the close code 4401, on which the widget starts afresh.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import JsonWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from channels_app.chat import session as chat
from channels_app.chat.tasks import chat_transcript_send
from tickets import events
from tickets.models import Channel, ChatSessionLog
from tickets.services import surveys
from tickets.services.chat_sessions import chat_session_end
from tickets.services.ingest import EventStatus

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 8 * 1024
MAX_TEXT_CHARS = 4000
# Per connection: bursts of 10 frames, 3 a second sustained.
BUCKET_CAPACITY = 10
BUCKET_REFILL_PER_S = 3.0
# Per visitor, across its tabs and server processes.
VISITOR_MESSAGES = chat.VisitorRateLimiter(scope="msg", limit=30, window_s=60)
# Rate-limit errors a connection may earn before it is closed.
MAX_STRIKES = 5
TYPING_INTERVAL_S = 2.0

# Threads that run the chat's handlers in one server process. Two let one frame's
# database round trip overlap another's Python work; more only fight over the GIL
# with the event loop, which then reads the channel layer late (bench/chat.py on 2
# cores: 8 threads left events 3 s behind, 2 threads 40 ms). Each thread keeps a
# database connection of its own (for CONN_MAX_AGE), so this also bounds them.
CHAT_THREADS = 2
_chat_executor = ThreadPoolExecutor(max_workers=CHAT_THREADS, thread_name_prefix="chat")

CLOSE_UNAUTHORIZED = 4401
CLOSE_POLICY = 4008

# Agent states on the ticket group (the console's collision messages) that mean
# the agent has the conversation in front of them.
_AGENT_SEES = {"viewing", "typing"}


class TokenBucket:
    def __init__(self, *, capacity: int, refill_per_s: float) -> None:
        self.capacity, self.refill_per_s = capacity, refill_per_s
        self.tokens = float(capacity)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_s)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class ChatConsumer(JsonWebsocketConsumer):
    session: chat.ChatSession | None = None
    ticket_id: int | None = None

    def connect(self) -> None:
        self.token = _query_param(self.scope, "token")
        lang = _query_param(self.scope, "lang")[:8].split("-")[0].lower()
        self.language = lang if lang in dict(settings.LANGUAGES) else ""
        self.session = chat.session_from_token(self.token)
        # Accept, then explain and close: a browser cannot read a refusal's reason.
        if self.session is None:
            self.accept()
            self.end_session("unauthorized", _("This chat session is not valid. Please start a new chat."))
            return
        if chat.session_erased(self.session):
            self.accept()
            self.end_session("session_erased", str(chat.SESSION_ERASED_MESSAGE))
            return
        self.bucket = TokenBucket(capacity=BUCKET_CAPACITY, refill_per_s=BUCKET_REFILL_PER_S)
        self.strikes = 0
        self.last_typing = 0.0
        self.groups_joined: list[str] = []
        self.accept()
        async_to_sync(self.join)(self.session.group)
        customer = chat.session_customer(self.session)
        ticket = chat.session_ticket(self.session, customer=customer)
        history: list[dict[str, Any]] = []
        if ticket is not None:
            async_to_sync(self.follow_ticket)(ticket.pk)
            history = chat.session_history(session=self.session, customer=customer, ticket=ticket)
        self.send_json(
            {
                "type": "welcome",
                "visitor": self.session.visitor,
                "name": self.session.name,
                "ticket": self.ticket_id,
                "online": chat.agents_available(),
                "can_email_transcript": bool(self.session.email),
                "history": history,
            }
        )

    def end_session(self, code: str, message: str) -> None:
        """The token no longer opens a conversation. On this close code the widget
        forgets it and shows the pre-chat form, so it does not try again."""
        self.session = None
        self.send_error(code, message)
        self.close(code=CLOSE_UNAUTHORIZED)

    def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            async_to_sync(self.channel_layer.group_discard)(group, self.channel_name)

    # Async, for the channel layer's events handled on the event loop; the sync
    # handlers call them through async_to_sync.
    async def join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)

    async def follow_ticket(self, ticket_id: int) -> None:
        if self.ticket_id != ticket_id:
            self.ticket_id = ticket_id
            await self.join(events.ticket_group(ticket_id))

    # Frames from the widget.

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is None:
            return
        if not self.bucket.take():
            self.strikes += 1
            if self.strikes >= MAX_STRIKES:
                self.send_error("rate_limited", _("Too many messages. The chat was closed; please wait a moment."))
                self.close(code=CLOSE_POLICY)
            else:
                self.send_error("rate_limited", _("You are sending messages too quickly. Please slow down."))
            return
        if chat.session_erased(self.session):
            # Erased while this widget was open.
            self.end_session("session_erased", str(chat.SESSION_ERASED_MESSAGE))
            return
        if bytes_data is not None or text_data is None:
            self.send_error("binary_not_supported", _("Only text frames are supported."))
            return
        if len(text_data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
            self.send_error("frame_too_large", _("The frame is larger than %(limit)d bytes.") % {"limit": MAX_FRAME_BYTES})
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            self.send_error("bad_json", _("The frame is not valid JSON."))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            self.send_error("bad_frame", _("A frame must be a JSON object with a \"type\"."))
            return
        handler = self.handlers.get(frame["type"])
        if handler is None:
            self.send_error("unknown_type", _("Unknown frame type."))
            return
        try:
            handler(self, frame)
        except chat.ChatError as exc:
            self.send_error(exc.code, str(exc), ref=frame.get("id") if isinstance(frame.get("id"), str) else None)
        except Exception:
            # Never let one bad frame take the connection down with it.
            logger.exception("chat frame %s failed", frame.get("type"))
            self.send_error("server_error", _("Something went wrong. Please try again."))

    def on_message(self, frame: dict[str, Any]) -> None:
        client_id = _required_str(frame, "id")
        text = _required_str(frame, "text").strip()
        if not text:
            raise chat.ChatError("empty_message", _("The message is empty."))
        if len(text) > MAX_TEXT_CHARS:
            raise chat.ChatError(
                "message_too_long", _("A message can have at most %(limit)d characters.") % {"limit": MAX_TEXT_CHARS}
            )
        try:
            uuid.UUID(client_id)
        except ValueError:
            raise chat.ChatError("invalid_id", _("The message id must be a UUID.")) from None
        receipt = chat.chat_message_stored(client_id=client_id)
        if receipt is not None:
            # A resend after a reconnect: acknowledged again, stored once.
            self.send_ack(client_id, message_id=receipt.message_id, ticket_id=receipt.ticket_id)
            return
        if not VISITOR_MESSAGES.allow(self.session.visitor):
            raise chat.ChatError("rate_limited", _("You are sending messages too quickly. Please slow down."))
        result = chat.chat_message_accept(
            session=self.session, client_id=client_id, text=text, ticket_id=self.ticket_id, language=self.language
        )
        message = result.message
        if message is None and result.status == EventStatus.DUPLICATE:
            message = chat.chat_message_existing(client_id=client_id)
        if message is None:
            self.send_ack(client_id)
        else:
            self.send_ack(client_id, message_id=message.pk, ticket_id=message.ticket_id)

    def send_ack(self, client_id: str, *, message_id: int | None = None, ticket_id: int | None = None) -> None:
        """The message is stored. Its id and ticket come along where it was processed
        already; otherwise the visitor's group brings them (channels_app.chat.followups)."""
        frame: dict[str, Any] = {"type": "ack", "client_id": client_id, "status": "stored"}
        if message_id is not None:
            async_to_sync(self.follow_ticket)(ticket_id)
            frame.update(id=message_id, ticket=ticket_id)
        self.send_json(frame)

    def on_typing(self, frame: dict[str, Any]) -> None:
        active = bool(frame.get("active", True))
        now = time.monotonic()
        if self.ticket_id is None or (active and now - self.last_typing < TYPING_INTERVAL_S):
            return
        self.last_typing = now if active else 0.0
        chat.customer_typing_publish(ticket_id=self.ticket_id, active=active, name=self.session.name)

    def on_read(self, frame: dict[str, Any]) -> None:
        up_to = frame.get("up_to")
        if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to <= 0:
            raise chat.ChatError("missing_field", _("\"up_to\" must be a message id."))
        if self.ticket_id is None:
            return
        customer = chat.session_customer(self.session)
        if customer is not None:
            chat.chat_mark_read(customer=customer, ticket_id=self.ticket_id, up_to=up_to)

    def on_transcript(self, frame: dict[str, Any]) -> None:
        request_id = _required_str(frame, "request_id")
        try:
            uuid.UUID(request_id)
        except ValueError:
            raise chat.ChatError("invalid_id", _("The request id must be a UUID.")) from None
        if self.ticket_id is None:
            raise chat.ChatError("no_conversation", _("There is no conversation to send yet."))
        if not self.session.email:
            raise chat.ChatError("no_email", _("Give an email address to receive the transcript."))
        chat_transcript_send.delay(ticket_id=self.ticket_id, token=self.token, request_id=request_id)
        self.send_json({"type": "transcript", "request_id": request_id, "status": "queued"})

    def on_survey(self, frame: dict[str, Any]) -> None:
        """The rating card's answer: recorded on the survey, never a message of the
        conversation, so it neither reopens the ticket nor counts as a contact."""
        survey_id, score = frame.get("survey"), frame.get("score")
        if not isinstance(survey_id, int) or isinstance(survey_id, bool):
            raise chat.ChatError("missing_field", _("\"survey\" must be a survey id."))
        if not isinstance(score, int) or isinstance(score, bool):
            raise chat.ChatError("missing_field", _("\"score\" must be a number."))
        customer = chat.session_customer(self.session)
        survey = None
        if customer is not None:
            survey = surveys.survey_pending_for(survey_id=survey_id, customer=customer, channel=Channel.CHAT)
        if survey is None:
            raise chat.ChatError("no_survey", _("This question is closed or already answered."))
        try:
            survey = surveys.survey_answer(survey=survey, score=score)
        except surveys.SurveyError as exc:
            raise chat.ChatError("bad_score", str(exc)) from None
        chat.chat_publish(
            session=self.session, frame={"type": "survey", "survey": survey.pk, "score": survey.score}
        )

    def on_leave(self, frame: dict[str, Any]) -> None:
        reason = ChatSessionLog.EndReason.CUSTOMER_LEFT
        if self.ticket_id is None or not chat_session_end(ticket_id=self.ticket_id, reason=reason):
            self.send_json({"type": "ended", "ticket": self.ticket_id, "reason": reason})

    def on_ping(self, frame: dict[str, Any]) -> None:
        self.send_json({"type": "pong"})

    handlers = {
        "message": on_message,
        "typing": on_typing,
        "read": on_read,
        "transcript": on_transcript,
        "survey": on_survey,
        "leave": on_leave,
        "ping": on_ping,
    }

    # Events from the channel layer.

    async def __call__(self, scope, receive, send) -> None:
        # The server's own send, for the frames that go out from the event loop
        # (a sync consumer's base_send may only be called from a sync thread).
        self.send_from_loop = send
        await super().__call__(scope, receive, send)

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            # The ticket group is shared with the console; its other traffic is not
            # for customers and must not break their connection.
            return
        if inspect.iscoroutinefunction(handler):
            # The channel layer's events need no database: no trip to a thread.
            await handler(message)
            return
        # Channels awaits each dispatch before the next, so one connection's handlers
        # never run at the same time, even on different threads of the pool.
        await DatabaseSyncToAsync(handler, thread_sensitive=False, executor=_chat_executor)(message)

    async def send_json_from_loop(self, content: dict[str, Any]) -> None:
        await self.send_from_loop({"type": "websocket.send", "text": self.encode_json(content)})

    async def helpdesk_event(self, event: dict[str, Any]) -> None:
        frame = event.get("event") or {}
        if frame.get("type") == "session.erased":
            # The visitor was erased while this widget was open: it forgets its token.
            self.session = None
            error = {"type": "error", "code": "session_erased", "message": str(chat.SESSION_ERASED_MESSAGE)}
            await self.send_json_from_loop(error)
            await self.send_from_loop({"type": "websocket.close", "code": CLOSE_UNAUTHORIZED})
            return
        if frame.get("type") in ("survey", "ended"):
            # A rating card answered in another tab; the session's end.
            await self.send_json_from_loop(frame)
            return
        if frame.get("type") == "message":
            # From the chat group: the agent's reply (by the chat sender), or the
            # visitor's own message sent from another tab. Notes, assignments and
            # the rest of the ticket group's events stay with the agents.
            if frame.get("ticket"):
                await self.follow_ticket(frame["ticket"])
            await self.send_json_from_loop(frame)

    async def console_collision(self, message: dict[str, Any]) -> None:
        """An agent opened, typed in or left the ticket, as the console tells its peers.
        The customer sees the typing, and the agent having the ticket open as 'read'."""
        state = message.get("state")
        name = str((message.get("agent") or {}).get("name") or "").split(" ")[0]
        await self.send_json_from_loop({"type": "typing", "who": "agent", "name": name, "active": state == "typing"})
        if state in _AGENT_SEES:
            await self.send_json_from_loop({"type": "read", "who": "agent", "up_to": None})

    def send_error(self, code: str, message: str, *, ref: str | None = None) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if ref:
            frame["ref"] = ref
        self.send_json(frame)


def _required_str(frame: dict[str, Any], name: str) -> str:
    value = frame.get(name)
    if not isinstance(value, str):
        raise chat.ChatError("missing_field", _("The field \"%(name)s\" is required.") % {"name": name})
    return value


def _query_param(scope: dict[str, Any], name: str) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    values = parse_qs(query).get(name)
    return values[0] if values else ""
