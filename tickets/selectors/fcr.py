"""FCR, as /work/shared/DESIGN.md defines it, in SQL.

A resolved ticket counts when it got exactly one public agent reply (a live chat
resolved while one of its sessions was live, ChatSessionLog, with every agent reply
on the chat inside that session, counts as one however many lines the agent typed),
it was not reopened, and its customer sent no inbound message on any channel within
FCR_WINDOW_DAYS after the resolution — auto-replies and survey answers (inbound
messages marked automatic) excepted.

The definition reads messages and chat sessions; the write path keeps its result on
the ticket (Ticket.fcr_one_contact and Ticket.repeat_contact_at,
tickets/services/kpi_facts.py), so that the KPIs test plain columns."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import BooleanField as BooleanOutput
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from tickets.models import Channel, ChatSessionLog, Message


def agent_replies() -> QuerySet:
    """The public agent replies that FCR counts (Ticket.agent_reply_count's)."""
    return Message.objects.filter(direction="out", is_automatic=False).exclude(
        delivery_status=Message.DeliveryStatus.AWAITING_APPROVAL
    )


def resolved_in_chat_session() -> Exists:
    """The ticket was resolved while one of its chat sessions was live, and every agent
    reply went out on the chat inside that session (before the resolution)."""
    outside = (
        agent_replies()
        .filter(ticket_id=OuterRef(OuterRef("pk")))
        .filter(
            Q(created_at__lt=OuterRef("started_at"))
            | Q(created_at__gt=OuterRef(OuterRef("resolved_at")))
            | ~Q(channel=Channel.CHAT)
        )
    )
    live = ChatSessionLog.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=OuterRef("resolved_at")),
        ticket_id=OuterRef("pk"),
        started_at__lte=OuterRef("resolved_at"),
    )
    return Exists(live.filter(~Exists(outside)))


def repeat_contacts() -> QuerySet:
    """The customer's inbound contacts, on any channel, within the FCR window after the
    ticket's resolution (auto-replies and survey answers are not contacts)."""
    window = timedelta(days=settings.FCR_WINDOW_DAYS)
    return Message.objects.filter(
        customer_id=OuterRef("customer_id"),
        direction="in",
        is_auto_reply=False,
        is_automatic=False,
        created_at__gt=OuterRef("resolved_at"),
        created_at__lte=ExpressionWrapper(OuterRef("resolved_at") + window, output_field=DateTimeField()),
    )


def one_contact_replies() -> Q:
    """Exactly one public agent reply, or a chat resolved in its session however many."""
    return Q(agent_reply_count=1) | (Q(agent_reply_count__gt=1) & resolved_in_chat_session())


def fcr_facts_computed() -> dict:
    """Ticket.fcr_one_contact and Ticket.repeat_contact_at as the definition computes
    them from the messages and sessions: annotations, or the values of an UPDATE."""
    return {
        "fcr_one_contact": Case(
            When(one_contact_replies(), then=Value(True)), default=Value(False), output_field=BooleanOutput()
        ),
        "repeat_contact_at": Subquery(repeat_contacts().order_by("created_at").values("created_at")[:1]),
    }


def fcr_condition() -> Q:
    """The FCR test of one resolved ticket, on the facts kept on the ticket."""
    return Q(fcr_one_contact=True, reopen_count=0, repeat_contact_at__isnull=True)
