"""Reads of the console's ticket page that no other page makes. The page is the one
agents keep open, so what it shows of the ticket is read in one statement: each
small fact is a subquery of the ticket's row rather than a query of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from tickets.models import (
    Channel,
    ChatSessionLog,
    ContactIdentity,
    Direction,
    Message,
    MessageSentiment,
    Survey,
    Tag,
    Ticket,
)
from tickets.selectors.console import WHATSAPP_WINDOW


@dataclass(frozen=True)
class TicketPage:
    ticket: Ticket
    tag_names: list[str]
    # (kind, address) of each of the customer's identities, oldest first.
    identities: list[tuple[str, str]]
    # None if the customer never wrote on WhatsApp.
    last_whatsapp_inbound_at: datetime | None
    # The start of the ticket's live chat session, if one is open.
    chat_started_at: datetime | None
    # The sentiment scores of the customer's latest messages, newest first.
    recent_scores: list[float]

    def whatsapp_window_open(self, *, now: datetime | None = None) -> bool | None:
        """Whether a free-form WhatsApp message may go to the customer now (their last
        inbound WhatsApp message is less than 24 hours old); None if they never wrote there."""
        if self.last_whatsapp_inbound_at is None:
            return None
        return (now or timezone.now()) - self.last_whatsapp_inbound_at < WHATSAPP_WINDOW


# The customer's mood is the average sentiment of this many of their latest messages.
MOOD_MESSAGES = 20


def ticket_page(*, ticket_id: int) -> TicketPage:
    """The ticket with its customer, tags, the customer's addresses, their last WhatsApp
    message's time, the open chat session's start and the sentiment of their latest
    messages, in one query. Raises Ticket.DoesNotExist."""
    identities = ContactIdentity.objects.filter(customer_id=OuterRef("customer_id")).order_by("id")
    last_whatsapp = Message.objects.filter(
        customer_id=OuterRef("customer_id"), channel=Channel.WHATSAPP, direction=Direction.IN
    ).order_by("-created_at")
    scores = MessageSentiment.objects.filter(customer_id=OuterRef("customer_id")).order_by("-created_at")
    open_chat = ChatSessionLog.objects.filter(ticket_id=OuterRef("pk"), ended_at__isnull=True).order_by("pk")
    ticket = (
        Ticket.objects.select_related("customer")
        .annotate(
            tag_names=ArraySubquery(Tag.objects.filter(tickets=OuterRef("pk")).order_by("name").values("name")),
            identity_kinds=ArraySubquery(identities.values("kind")),
            identity_addresses=ArraySubquery(identities.values("address")),
            last_whatsapp_inbound_at=Subquery(last_whatsapp.values("created_at")[:1]),
            chat_started_at=Subquery(open_chat.values("started_at")[:1]),
            recent_scores=ArraySubquery(scores.values("score")[:MOOD_MESSAGES]),
        )
        .get(pk=ticket_id)
    )
    return TicketPage(
        ticket=ticket,
        tag_names=ticket.tag_names,
        identities=list(zip(ticket.identity_kinds, ticket.identity_addresses, strict=True)),
        last_whatsapp_inbound_at=ticket.last_whatsapp_inbound_at,
        chat_started_at=ticket.chat_started_at,
        recent_scores=ticket.recent_scores,
    )


def customer_feedback(*, customer_id: int, recent_scores: list[float], limit: int = 10) -> dict:
    """Answered CSAT/CES/NPS surveys, newest first, and the customer's recent mood
    (the average of `recent_scores`; a low score means churn risk)."""
    answered = Survey.objects.filter(customer_id=customer_id, status=Survey.Status.ANSWERED)
    surveys = answered.only("id", "kind", "score", "scale_max", "answered_at", "comment")
    score = sum(recent_scores) / len(recent_scores) if recent_scores else None
    if score is None:
        churn_risk = None
    elif score <= -0.4:
        churn_risk = "high"
    elif score < 0:
        churn_risk = "medium"
    else:
        churn_risk = "low"
    return {
        "surveys": list(surveys.order_by("-answered_at", "-id")[:limit]),
        "sentiment": score,
        "sentiment_n": len(recent_scores),
        "churn_risk": churn_risk,
    }
