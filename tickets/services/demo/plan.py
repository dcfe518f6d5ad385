"""The shape of the bulk demo: how its tickets spread over channels, statuses and
time, and the plain records a generated customer and conversation are."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from tickets.models import Channel, ChatSessionLog, Message, Survey, Ticket, TicketActivity, TicketSLA
from tickets.services.demo.files import DemoFile

Status = Ticket.Status

CHANNEL_WEIGHTS = {
    Channel.EMAIL: 30, Channel.WHATSAPP: 20, Channel.CHAT: 16, Channel.SMS: 14, Channel.LINE: 12,
    Channel.MESSENGER: 6, Channel.INSTAGRAM: 2,
}  # fmt: skip
# The share of customers who write from each messaging app.
MESSAGING_SHARE = {Channel.LINE: 0.3, Channel.MESSENGER: 0.15, Channel.INSTAGRAM: 0.06}
# New and open work is recent; resolved and closed tickets reach further back: (share,
# youngest, oldest) in days, the resolved and closed ones stretched to the history asked for.
STATUS_PLAN = {
    Status.NEW: (10, 0, 2), Status.OPEN: (15, 0, 10), Status.PENDING: (10, 0, 10),
    Status.RESOLVED: (40, 0, 60), Status.CLOSED: (25, 7, 90),
}  # fmt: skip
# Showcase numbers the pipeline part uses; bulk customers never get them.
RESERVED_PHONES = {"+66812345678", "+66895550101"}
HISTORY_DAYS = max(oldest for _, _, oldest in STATUS_PLAN.values())


@dataclass
class Person:
    customer_id: int
    name: str
    first: str
    language: str
    vip: bool
    email: str | None
    phone: str | None
    chat: str | None
    # Their LINE userId, Messenger PSID, Instagram IGSID, by channel.
    messaging: dict[str, str] = field(default_factory=dict)
    # The words their tickets' search documents find them by, as tsvector text.
    search_terms: str = ""


@dataclass
class Story:
    """One ticket's generated conversation, before it is written."""

    ticket: Ticket
    person: Person
    messages: list[Message] = field(default_factory=list)
    tags: tuple[str, ...] = ()
    activities: list[TicketActivity] = field(default_factory=list)
    attachments: list[tuple[int, DemoFile]] = field(default_factory=list)
    sla: TicketSLA | None = None
    surveys: list[Survey] = field(default_factory=list)
    chat_session: ChatSessionLog | None = None


def chunks(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


def weighted_statuses(rng: random.Random, count: int) -> list[str]:
    statuses = list(STATUS_PLAN)
    return rng.choices(statuses, [STATUS_PLAN[s][0] for s in statuses], k=count)
