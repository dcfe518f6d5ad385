"""The live chat's session: who the visitor is, which ticket the conversation is,
and the turning of chat frames into InboundMessages for the one pipeline.

A visitor gets a random id and a signed token that carries it, with the name and
address of the pre-chat form. The widget keeps both in localStorage, so a page
reload resumes the conversation, until the customer is erased. Nothing here
creates messages or tickets: that is the one inbound pipeline's job
(tickets.services.ingest)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from tickets import events
from tickets.inbound import InboundAttachment, InboundMessage
from tickets.models import (
    AgentProfile,
    Channel,
    ContactIdentity,
    Customer,
    Direction,
    InboundEvent,
    Message,
    Survey,
    Ticket,
)
from tickets.selectors.timeline import ticket_messages
from tickets.services.delivery import delivery_record
from tickets.services.identities import InvalidAddress, normalize_address
from tickets.services.ingest import IngestResult, inbound_accept, ingest
from tickets.services.privacy import erased_visitor_address
from tickets.services.sla import is_business_hours

TOKEN_SALT = "helpdesk.chat.session"
TOKEN_MAX_AGE_S = 90 * 24 * 3600
HISTORY_LIMIT = 200
# A customer's chat message is stored with the widget's uuid for it behind this.
EXTERNAL_ID_PREFIX = "chat-"

SESSION_ERASED_MESSAGE = gettext_lazy(
    "This conversation and your details were erased, as asked. To talk to us again, please start a new chat."
)


class ChatError(ValueError):
    """Something the visitor sent that the chat cannot take; `code` goes into the error frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, kw_only=True)
class ChatSession:
    visitor: str
    name: str = ""
    # The pre-chat form's email and phone, as the visitor typed them.
    addresses: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sender(self) -> str:
        return f"chat:{self.visitor}"

    @property
    def group(self) -> str:
        return events.chat_visitor_group(self.visitor)

    @property
    def email(self) -> str:
        return next((address for address in self.addresses if "@" in address), "")


def session_start(*, name: str, email: str = "", phone: str = "") -> tuple[ChatSession, str]:
    """A new visitor and its token. The addresses are checked here, so the
    pipeline later never meets one it cannot read."""
    addresses = []
    for raw in (email, phone):
        raw = raw.strip()
        if not raw:
            continue
        try:
            normalize_address(raw)
        except InvalidAddress as exc:
            raise ChatError("invalid_address", str(exc)) from exc
        addresses.append(raw[:320])
    session = ChatSession(visitor=uuid.uuid4().hex, name=name.strip()[:200], addresses=tuple(addresses))
    return session, session_token(session)


def session_token(session: ChatSession) -> str:
    return signing.dumps({"v": session.visitor, "n": session.name, "a": list(session.addresses)}, salt=TOKEN_SALT)


def session_from_token(token: str) -> ChatSession | None:
    """The session a token names, or None when it is forged, mangled or too old."""
    if not token or len(token) > 2000:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_S)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("v"), str):
        return None
    addresses = tuple(a for a in data.get("a") or [] if isinstance(a, str))
    return ChatSession(visitor=data["v"], name=str(data.get("n") or ""), addresses=addresses)


def session_erased(session: ChatSession) -> bool:
    """Whether the visitor's customer was erased. Its token still carries the name and
    addresses of the pre-chat form: it must neither resume the conversation nor bring
    them back as a new customer."""
    return ContactIdentity.objects.filter(
        kind=ContactIdentity.Kind.CHAT, address=erased_visitor_address(session.visitor)
    ).exists()


def session_customer(session: ChatSession) -> Customer | None:
    """The customer behind the visitor, following merges; None before the first message."""
    identity = (
        ContactIdentity.objects.select_related("customer")
        .filter(kind=ContactIdentity.Kind.CHAT, address=session.visitor)
        .first()
    )
    if identity is None:
        return None
    customer, seen = identity.customer, set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = customer.merged_into
    return customer


def _visitor_messages(session: ChatSession, customer: Customer):
    # The pre-chat address is unverified, so the visitor may share a customer with
    # others: the widget only ever shows conversations this visitor took part in.
    return Message.objects.filter(
        customer=customer, channel=Channel.CHAT, direction=Direction.IN, metadata__visitor=session.visitor
    )


def session_ticket(session: ChatSession, *, customer: Customer | None = None) -> Ticket | None:
    """The conversation the widget shows: the ticket of the visitor's latest chat
    message, unless it was closed. A resolved one still shows; a new message reopens it."""
    customer = customer or session_customer(session)
    if customer is None:
        return None
    latest = _visitor_messages(session, customer).order_by("-created_at", "-id").select_related("ticket").first()
    if latest is None or latest.ticket.status == Ticket.Status.CLOSED:
        return None
    return latest.ticket


def chat_frame(message: Message, *, attachments: list[Any] | None = None) -> dict[str, Any]:
    """A message as the widget shows it. Only what the customer may see: the text,
    the author's first name, file names."""
    author = ""
    if message.direction == Direction.OUT and message.author_id:
        author = message.author.first_name or message.author.get_username()
    attachments = message.attachments.all() if attachments is None else attachments
    is_customer = message.direction == Direction.IN
    return {
        "type": "message",
        "id": message.pk,
        # The widget's own uuid for the message, by which the tab that sent it finds it.
        "client_id": message.external_id.removeprefix(EXTERNAL_ID_PREFIX) if is_customer and message.external_id else None,
        "ticket": message.ticket_id,
        "direction": message.direction,
        "text": message.text,
        "author": author,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size} for a in attachments
        ],
        "status": "" if is_customer else message.delivery_status,
        "created_at": message.created_at.isoformat(),
        **_survey_card(message),
    }


def _survey_card(message: Message) -> dict[str, Any]:
    """A survey question is drawn as a rating card; `answered` (the score) is filled in
    by the history, which looks the answers up in one query."""
    card = message.metadata.get("survey") if message.direction == Direction.OUT else None
    if not isinstance(card, dict) or "id" not in card:
        return {}
    keys = ("id", "kind", "scale_min", "scale_max", "low_label", "high_label")
    return {"survey": {**{key: card.get(key) for key in keys}, "answered": None}}


def session_history(*, session: ChatSession, customer: Customer, ticket: Ticket) -> list[dict[str, Any]]:
    """The conversation so far, from the visitor's first message in the ticket: the
    customer's chat messages and the replies that went out on chat. Never a note,
    never a reply still awaiting a supervisor, never another channel's message."""
    first = _visitor_messages(session, customer).filter(ticket=ticket).order_by("created_at", "id").first()
    if first is None:
        return []
    messages = (
        ticket_messages(ticket_id=ticket.pk, include_notes=False)
        .filter(customer=customer, channel=Channel.CHAT, created_at__gte=first.created_at)
        .exclude(delivery_status=Message.DeliveryStatus.AWAITING_APPROVAL)
    )
    latest = list(messages.order_by("-created_at", "-id")[:HISTORY_LIMIT])
    frames = [chat_frame(message) for message in reversed(latest)]
    cards = {frame["survey"]["id"]: frame["survey"] for frame in frames if "survey" in frame}
    if cards:
        for survey_id, status, score in Survey.objects.filter(pk__in=cards).values_list("pk", "status", "score"):
            cards[survey_id]["answered"] = score
            cards[survey_id]["closed"] = status == Survey.Status.EXPIRED
    return frames


def ticket_visitors(*, ticket_id: int) -> list[str]:
    """The visitors who wrote in a ticket: where the agent's chat replies go."""
    visitors = (
        Message.objects.filter(ticket_id=ticket_id, channel=Channel.CHAT, direction=Direction.IN)
        .values_list("metadata__visitor", flat=True)
        .distinct()
    )
    return [visitor for visitor in visitors if isinstance(visitor, str) and visitor]


def chat_message_ingest(*, session: ChatSession, client_id: str, text: str, **fields: Any) -> IngestResult:
    """One chat message into the pipeline, processed before it returns (a page that
    answers with the stored message); `fields` are `_chat_inbound`'s. The client's
    message uuid is the deduplication key, so a message sent again is stored once."""
    return ingest(_chat_inbound(session=session, client_id=client_id, text=text, **fields))


def chat_message_accept(
    *, session: ChatSession, client_id: str, text: str, ticket_id: int | None = None, language: str = ""
) -> IngestResult:
    """A websocket frame's message, stored as the raw event for the pipeline worker to
    process (or processed here, where Celery runs eagerly). The widget hears of the
    processed message through the visitor's group (channels_app.chat.followups)."""
    return inbound_accept(
        _chat_inbound(session=session, client_id=client_id, text=text, ticket_id=ticket_id, language=language)
    )


def _chat_inbound(
    *,
    session: ChatSession,
    client_id: str,
    text: str,
    ticket_id: int | None = None,
    attachments: list[InboundAttachment] | None = None,
    metadata: dict[str, Any] | None = None,
    extra_addresses: list[str] | None = None,
    language: str = "",
) -> InboundMessage:
    try:
        uuid.UUID(client_id)
    except (TypeError, ValueError) as exc:
        raise ChatError("invalid_id", gettext("The message id must be a UUID.")) from exc
    return InboundMessage(
        channel=Channel.CHAT,
        external_id=chat_external_id(client_id),
        sender=session.sender,
        sender_name=session.name,
        sender_extra_addresses=list(extra_addresses if extra_addresses is not None else session.addresses),
        text=text,
        attachments=attachments or [],
        ticket_id=ticket_id,
        metadata={**(metadata or {}), "visitor": session.visitor},
        # The widget's language: the survey after the chat is asked in it.
        language=language,
    )


def chat_external_id(client_id: str) -> str:
    return f"{EXTERNAL_ID_PREFIX}{client_id}"


@dataclass(frozen=True)
class ChatReceipt:
    """A message uuid stored already: its message's id and ticket once processed."""

    message_id: int | None
    ticket_id: int | None


def chat_message_stored(*, client_id: str) -> ChatReceipt | None:
    """Whether a message with this uuid was stored already, processed or not yet, in
    one query: a resend is acknowledged from it. Every new message asks it first, so it
    is plain SQL, which costs a fraction of the ORM's compiling of it."""
    with connection.cursor() as cursor:
        cursor.execute(_STORED_SQL, [chat_external_id(client_id)])
        row = cursor.fetchone()
    return ChatReceipt(message_id=row[0], ticket_id=row[1]) if row is not None else None


_STORED_SQL = (
    f"SELECT m.id, m.ticket_id FROM {InboundEvent._meta.db_table} e"
    f" LEFT JOIN {Message._meta.db_table} m ON m.channel = e.channel AND m.external_id = e.external_id"
    f" WHERE e.channel = '{Channel.CHAT.value}' AND e.external_id = %s LIMIT 1"
)


def chat_message_existing(*, client_id: str) -> Message | None:
    """The message a redelivered uuid already stored, to acknowledge it again."""
    return (
        Message.objects.select_related("author")
        .prefetch_related("attachments")
        .filter(channel=Channel.CHAT, external_id=chat_external_id(client_id))
        .first()
    )


def chat_publish(*, session: ChatSession, frame: dict[str, Any]) -> None:
    """A frame to every open widget of the visitor, on every server process."""
    events.send_event([session.group], frame)


def chat_mark_read(*, customer: Customer, ticket_id: int, up_to: int) -> int:
    """The customer saw the agent's replies up to message `up_to`: each becomes
    'read', and the console hears of it through the delivery-status event."""
    unread = Message.objects.filter(
        ticket_id=ticket_id,
        customer=customer,
        channel=Channel.CHAT,
        direction=Direction.OUT,
        pk__lte=up_to,
        # 'sending' too: the widget may read a reply before its send is recorded.
        delivery_status__in=[
            Message.DeliveryStatus.SENDING, Message.DeliveryStatus.SENT, Message.DeliveryStatus.DELIVERED
        ],
    )
    count = 0
    for message in unread:
        delivery_record(message=message, status=Message.DeliveryStatus.READ)
        count += 1
    return count


def customer_typing_publish(*, ticket_id: int, active: bool, name: str) -> None:
    """Tells the agents on the ticket that the customer is typing."""
    events.send_event(
        [events.ticket_group(ticket_id)],
        {"type": "typing", "ticket": ticket_id, "who": "customer", "name": name, "active": active},
    )


def agents_available(*, now=None) -> bool:
    """Live chat is offered while an agent is online (unless
    HELPDESK_CHAT_WITHOUT_ONLINE_AGENT) and within business hours (the default
    calendar's); otherwise the widget takes a message as a ticket."""
    if (
        not settings.HELPDESK_CHAT_WITHOUT_ONLINE_AGENT
        and not AgentProfile.objects.filter(presence=AgentProfile.Presence.ONLINE).exists()
    ):
        return False
    return is_business_hours(at=now or timezone.now())


class VisitorRateLimiter:
    """A budget per visitor across all its connections and server processes, kept in
    the shared cache (Redis in production): `limit` actions per `window_s` seconds."""

    def __init__(self, *, scope: str, limit: int, window_s: int) -> None:
        self.scope, self.limit, self.window_s = scope, limit, window_s

    def allow(self, visitor: str) -> bool:
        bucket = int(timezone.now().timestamp()) // self.window_s
        key = f"chat-rate:{self.scope}:{visitor}:{bucket}"
        cache.add(key, 0, timeout=self.window_s * 2)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=self.window_s * 2)
            count = 1
        return count <= self.limit
