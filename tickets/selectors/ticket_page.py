"""Reads of the console's ticket page that no other page makes. The page is the one
agents keep open, so what it shows of the ticket is read in one statement: each
small fact is a subquery of the ticket's row rather than a query of its own.

That statement is written in SQL, once per process: compiled by the ORM on every
view, its six subqueries cost 5 ms of CPU against 0.4 ms to run it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import connection
from django.utils import timezone

from tickets.models import (
    Channel,
    ChatSessionLog,
    ContactIdentity,
    Customer,
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
    # The channel of the customer's last message on this ticket (not an automatic one)
    # and the channel it asked to be answered on, if any; None before they wrote.
    last_inbound: tuple[str, str | None] | None

    def whatsapp_window_open(self, *, now: datetime | None = None) -> bool | None:
        """Whether a free-form WhatsApp message may go to the customer now (their last
        inbound WhatsApp message is less than 24 hours old); None if they never wrote there."""
        if self.last_whatsapp_inbound_at is None:
            return None
        return (now or timezone.now()) - self.last_whatsapp_inbound_at < WHATSAPP_WINDOW


# The customer's mood is the average sentiment of this many of their latest messages.
MOOD_MESSAGES = 20


def _columns(model, alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


@cache
def _ticket_page_sql() -> str:
    ticket_tags = Ticket.tags.through._meta
    return f"""
        SELECT {_columns(Ticket, "t")}, {_columns(Customer, "c")},
            ARRAY(SELECT tag.name FROM "{Tag._meta.db_table}" tag
                  JOIN "{ticket_tags.db_table}" tt ON tt.tag_id = tag.id
                  WHERE tt.ticket_id = t.id ORDER BY tag.name),
            ARRAY(SELECT ARRAY[i.kind, i.address]::text[] FROM "{ContactIdentity._meta.db_table}" i
                  WHERE i.customer_id = t.customer_id ORDER BY i.id),
            (SELECT m.created_at FROM "{Message._meta.db_table}" m
             WHERE m.customer_id = t.customer_id AND m.channel = %(whatsapp)s AND m.direction = %(inbound)s
             ORDER BY m.created_at DESC LIMIT 1),
            (SELECT s.started_at FROM "{ChatSessionLog._meta.db_table}" s
             WHERE s.ticket_id = t.id AND s.ended_at IS NULL ORDER BY s.id LIMIT 1),
            ARRAY(SELECT ms.score FROM "{MessageSentiment._meta.db_table}" ms
                  WHERE ms.customer_id = t.customer_id ORDER BY ms.created_at DESC LIMIT %(mood_messages)s),
            (SELECT ARRAY[m.channel, m.metadata ->> 'reply_channel'] FROM "{Message._meta.db_table}" m
             WHERE m.ticket_id = t.id AND m.direction = %(inbound)s AND NOT m.is_auto_reply AND NOT m.is_automatic
             ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
        FROM "{Ticket._meta.db_table}" t JOIN "{Customer._meta.db_table}" c ON c.id = t.customer_id
        WHERE t.id = %(ticket_id)s"""


def ticket_page(*, ticket_id: int) -> TicketPage:
    """The ticket with its customer, tags, the customer's addresses, their last WhatsApp
    message's time, the open chat session's start, the sentiment of their latest
    messages and their last message on the ticket, in one query. Raises Ticket.DoesNotExist."""
    params = {"ticket_id": ticket_id, "whatsapp": Channel.WHATSAPP.value, "inbound": Direction.IN.value,
              "mood_messages": MOOD_MESSAGES}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_ticket_page_sql(), params)
        row = cursor.fetchone()
    if row is None:
        raise Ticket.DoesNotExist(f"No ticket {ticket_id}")
    ticket_fields = [field.attname for field in Ticket._meta.concrete_fields]
    customer_fields = [field.attname for field in Customer._meta.concrete_fields]
    split = len(ticket_fields)
    ticket = Ticket.from_db(connection.alias, ticket_fields, row[:split])
    customer = Customer.from_db(connection.alias, customer_fields, row[split : split + len(customer_fields)])
    Ticket.customer.field.set_cached_value(ticket, customer)
    tag_names, identities, last_whatsapp, chat_started_at, scores, last_inbound = row[split + len(customer_fields) :]
    return TicketPage(
        ticket=ticket,
        tag_names=tag_names,
        identities=[(kind, address) for kind, address in identities],
        last_whatsapp_inbound_at=last_whatsapp,
        chat_started_at=chat_started_at,
        recent_scores=scores,
        last_inbound=(last_inbound[0], last_inbound[1]) if last_inbound else None,
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
