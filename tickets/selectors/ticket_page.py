"""Reads of the console's ticket page that no other page makes. The page is the one
agents keep open, so what it shows of the ticket is read in one statement: each
small fact is a subquery of the ticket's row rather than a query of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from tickets.models import Channel, ChatSessionLog, ContactIdentity, Direction, Message, Tag, Ticket
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

    def whatsapp_window_open(self, *, now: datetime | None = None) -> bool | None:
        """Whether a free-form WhatsApp message may go to the customer now (their last
        inbound WhatsApp message is less than 24 hours old); None if they never wrote there."""
        if self.last_whatsapp_inbound_at is None:
            return None
        return (now or timezone.now()) - self.last_whatsapp_inbound_at < WHATSAPP_WINDOW


def ticket_page(*, ticket_id: int) -> TicketPage:
    """The ticket with its customer, tags, the customer's addresses, their last WhatsApp
    message's time and the open chat session's start, in one query. Raises
    Ticket.DoesNotExist."""
    identities = ContactIdentity.objects.filter(customer_id=OuterRef("customer_id")).order_by("id")
    last_whatsapp = Message.objects.filter(
        customer_id=OuterRef("customer_id"), channel=Channel.WHATSAPP, direction=Direction.IN
    ).order_by("-created_at")
    open_chat = ChatSessionLog.objects.filter(ticket_id=OuterRef("pk"), ended_at__isnull=True).order_by("pk")
    ticket = (
        Ticket.objects.select_related("customer")
        .annotate(
            tag_names=ArraySubquery(Tag.objects.filter(tickets=OuterRef("pk")).order_by("name").values("name")),
            identity_kinds=ArraySubquery(identities.values("kind")),
            identity_addresses=ArraySubquery(identities.values("address")),
            last_whatsapp_inbound_at=Subquery(last_whatsapp.values("created_at")[:1]),
            chat_started_at=Subquery(open_chat.values("started_at")[:1]),
        )
        .get(pk=ticket_id)
    )
    return TicketPage(
        ticket=ticket,
        tag_names=ticket.tag_names,
        identities=list(zip(ticket.identity_kinds, ticket.identity_addresses, strict=True)),
        last_whatsapp_inbound_at=ticket.last_whatsapp_inbound_at,
        chat_started_at=ticket.chat_started_at,
    )
