"""Steps 2 to 6 of the inbound pipeline (tickets.services.ingest), run over a batch
of stored events at once: each step is a few statements for the whole batch, not a
few per message. The events are in their order, and a conversation's events are
taken one after the other within each step, so that a message sees what the ones
before it did: the customer they created, the ticket they opened, the thread they
started.

Step 5, writing the messages, is tickets.services.pipeline_messages.

A step that cannot be done for the whole batch (a statement refused by a
constraint) fails the batch; the caller then runs each event alone, which is the
same code over a batch of one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Case, Value, When
from django.utils import timezone

from tickets import events, registry
from tickets.inbound import InboundMessage
from tickets.models import (
    Channel,
    ChatSessionLog,
    Customer,
    Direction,
    InboundEvent,
    Message,
    Survey,
    Ticket,
    TicketActivity,
)
from tickets.services import delivery, surveys
from tickets.services.customers import customer_resolve, customers_resolve_many, sender_claims_only
from tickets.services.kpi_rollups import kpi_days_mark
from tickets.services.outbox import outbox_batched_calls, outbox_task
from tickets.services.pipeline_messages import messages_append
from tickets.services.sanitize import html_to_text
from tickets.services.tickets import ticket_id_from_subject
from tickets.services.webhooks import webhook_subscriptions_read_once

EventStatus = InboundEvent.Status
# Email threads by its headers, and a chat by its widget session; the other channels
# have one conversation per customer.
THREADED_CHANNELS = (Channel.EMAIL, Channel.CHAT)
# What a chat session records of a visitor id.
VISITOR_CHARS = ChatSessionLog._meta.get_field("visitor").max_length


class InvalidInbound(ValueError):
    """The adapter produced something the pipeline cannot take; a 400 at the edge."""


@dataclass
class Item:
    """One event on its way through the steps."""

    event: InboundEvent
    msg: InboundMessage
    now: datetime
    # Set once the outcome is known: an item with a status takes no further step.
    status: str = ""
    customer: Customer | None = None
    survey: Survey | None = None
    ticket: Ticket | None = None
    opened_ticket: bool = False
    message: Message | None = None
    # Attachments a provider hosts, fetched after commit.
    pending_media: list[int] = field(default_factory=list)


def pipeline_run(batch: list[InboundEvent]) -> list[Item]:
    """Steps 2 to 6 for the events, in their order; returns each one's outcome."""
    items = [Item(event=event, msg=InboundMessage.from_payload(event.payload), now=timezone.now()) for event in batch]
    with webhook_subscriptions_read_once():
        _deduplicate(items)  # 2
        _record_bounces(items)
        _resolve_customers(_waiting(items))  # 3
        _find_tickets(_waiting(items))  # 4
        messages_append(_waiting(items))  # 5
        _queue_followups(_waiting(items))  # 6
    for item in _waiting(items):
        item.status = EventStatus.PROCESSED
    return items


def _waiting(items: list[Item]) -> list[Item]:
    return [item for item in items if not item.status]


# Step 2: a redelivery is acknowledged and changes nothing.


def _deduplicate(items: list[Item]) -> None:
    keyed = [item for item in items if item.msg.external_id]
    seen = set(
        Message.objects.filter(
            channel__in={item.msg.channel for item in keyed}, external_id__in={item.msg.external_id for item in keyed}
        ).values_list("channel", "external_id")
    )
    for item in keyed:
        key = (item.msg.channel, item.msg.external_id)
        if key in seen:
            item.status = EventStatus.DUPLICATE
        seen.add(key)


def _record_bounces(items: list[Item]) -> None:
    """A delivery-status report: the outbound messages it names failed. It opens no ticket."""
    for item in _waiting(items):
        msg = item.msg
        if not msg.is_bounce:
            continue
        item.status = EventStatus.PROCESSED
        bounced = Message.objects.filter(
            channel=Channel.EMAIL, direction=Direction.OUT, external_id__in=msg.bounced_message_ids or []
        )
        for message in bounced:
            delivery.delivery_record(
                message=message,
                status=Message.DeliveryStatus.FAILED,
                error=msg.bounce_reason or "the recipient's mail server returned the message",
                error_code="bounce",
            )


# Step 3: the sender's customer, through normalized identities.


def _resolve_customers(items: list[Item]) -> None:
    # All but the senders whose further addresses lead to their customer (a WhatsApp
    # parent id): those go one at a time.
    together = [
        item
        for item in items
        if item.msg.customer_id is None
        and (not item.msg.sender_extra_addresses or sender_claims_only(item.msg.sender))
    ]
    resolved = customers_resolve_many(
        [(item.msg.sender, item.msg.sender_name) for item in together],
        claimed=[item.msg.sender_extra_addresses for item in together],
    )
    for item, customer in zip(together, resolved, strict=True):
        item.customer = customer
    named = Customer.objects.in_bulk({item.msg.customer_id for item in items if item.msg.customer_id is not None})
    for item in items:
        msg = item.msg
        if msg.customer_id is not None:
            item.customer = named.get(msg.customer_id)
            if item.customer is None:
                raise InvalidInbound(f"customer {msg.customer_id} does not exist")
        elif item.customer is None:
            item.customer = customer_resolve(
                sender=msg.sender, name=msg.sender_name, extra_addresses=msg.sender_extra_addresses
            )
    learned: dict[str, list[int]] = defaultdict(list)
    for item in items:
        if item.msg.language and not item.customer.language:
            item.customer.language = item.msg.language[:8]
            learned[item.customer.language].append(item.customer.pk)
    if learned:
        # One statement for the batch, each customer's language by a WHEN per language.
        Customer.objects.filter(pk__in=[pk for ids in learned.values() for pk in ids], language="").update(
            language=Case(*[When(pk__in=ids, then=Value(language)) for language, ids in learned.items()])
        )


# Step 4: the ticket the message continues, or a new one.


class _Tickets:
    """The tickets the batch's messages may continue, read at once, and those it opens:
    one instance per ticket, so that the messages after one see what it changed."""

    def __init__(self, items: list[Item]) -> None:
        conversations = [item for item in items if item.msg.channel not in THREADED_CHANNELS]
        active = Ticket.objects.filter(
            customer__in={item.customer.pk for item in conversations},
            channel__in={item.msg.channel for item in conversations},
            status__in=Ticket.ACTIVE_STATUSES,
        ).order_by("updated_at")
        self.by_pk: dict[int, Ticket] = {}
        # The newest active ticket of a customer on a channel.
        self.open: dict[tuple[int, str], Ticket] = {
            (ticket.customer_id, ticket.channel): self._one(ticket) for ticket in active
        }
        references = {ref for item in items if item.msg.channel == Channel.EMAIL for ref in _references(item.msg)}
        known = Message.objects.filter(channel=Channel.EMAIL, external_id__in=references).select_related("ticket")
        # An email's ticket, and when it came, by its Message-ID and customer.
        self.threads: dict[tuple[str, int], tuple[datetime, Ticket]] = {
            (message.external_id, message.customer_id): (message.created_at, self._one(message.ticket))
            for message in known
        }
        # The tickets the messages name (a widget that knows its conversation).
        self.named: dict[int, Ticket] = {
            pk: self._one(ticket)
            for pk, ticket in Ticket.objects.in_bulk({item.msg.ticket_id for item in items if item.msg.ticket_id}).items()
        }
        # A chat visitor's conversation, by customer and visitor id.
        self.visitors: dict[tuple[int, str], Ticket | None] = self._visitor_conversations(
            [item for item in items if item.msg.channel == Channel.CHAT and not self._named(item.msg, item.customer)]
        )

    def _one(self, ticket: Ticket) -> Ticket:
        # A ticket the batch opens has no id yet, and is one instance already.
        return self.by_pk.setdefault(ticket.pk, ticket) if ticket.pk else ticket

    def continued(self, msg: InboundMessage, customer: Customer) -> Ticket | None:
        """The ticket this message continues, or None for a new one. A ticket is only
        ever continued by its own customer: a stranger's reply opens a ticket of theirs."""
        candidate = self._named(msg, customer)
        if candidate is None and msg.channel == Channel.EMAIL:
            candidate = self._email_thread(msg, customer)
        elif candidate is None and msg.channel == Channel.CHAT:
            # A chat continues only its widget session's conversation: a visitor who gave
            # someone else's (unverified) address never joins that customer's conversation.
            candidate = self._visitor_conversation(msg, customer)
        elif candidate is None:
            # SMS and WhatsApp have no threads: the open conversation on the channel is it.
            candidate = self.open.get((customer.pk, msg.channel))
        if candidate is not None and candidate.status == Ticket.Status.CLOSED and not msg.is_auto_reply:
            return None
        return self._one(candidate) if candidate is not None else None

    def _named(self, msg: InboundMessage, customer: Customer) -> Ticket | None:
        named = self.named.get(msg.ticket_id) if msg.ticket_id is not None else None
        return named if named is not None and named.customer_id == customer.pk else None

    def _visitor_conversation(self, msg: InboundMessage, customer: Customer) -> Ticket | None:
        visitor = msg.metadata.get("visitor")
        return self.visitors.get((customer.pk, visitor[:VISITOR_CHARS])) if isinstance(visitor, str) else None

    def _visitor_conversations(self, items: list[Item]) -> dict[tuple[int, str], Ticket | None]:
        """For chat messages sent before the widget heard its conversation's ticket (the
        widget's first messages): the ticket of each visitor's latest live chat session
        with the customer, which its live messages keep up to date (not a message left
        while nobody was online: that starts no session)."""
        visitors = {visitor[:VISITOR_CHARS] for item in items if isinstance(visitor := item.msg.metadata.get("visitor"), str)}
        if not visitors:
            return {}
        sessions = (
            ChatSessionLog.objects.filter(visitor__in=visitors, ticket__customer__in={item.customer.pk for item in items})
            .select_related("ticket")
            .order_by("visitor", "ticket__customer", "-last_activity_at", "-pk")
        )
        if connection.features.can_distinct_on_fields:
            sessions = sessions.distinct("visitor", "ticket__customer")
        latest: dict[tuple[int, str], Ticket | None] = {}
        for session in sessions:
            latest.setdefault((session.ticket.customer_id, session.visitor), self._one(session.ticket))
        return latest

    def _email_thread(self, msg: InboundMessage, customer: Customer) -> Ticket | None:
        known = [self.threads[key] for ref in _references(msg) if (key := (ref, customer.pk)) in self.threads]
        if known:
            # The ticket of the newest message the headers name.
            return max(known, key=lambda thread: thread[0])[1]
        ticket_id = ticket_id_from_subject(msg.subject)
        if ticket_id is not None:
            return Ticket.objects.filter(pk=ticket_id, customer=customer).first()
        return None

    def joined(self, item: Item) -> None:
        """The item's ticket is the one its channel's next messages continue."""
        if item.msg.channel == Channel.EMAIL and item.msg.external_id:
            self.threads[(item.msg.external_id, item.customer.pk)] = (item.now, item.ticket)
        elif item.msg.channel == Channel.CHAT and isinstance(visitor := item.msg.metadata.get("visitor"), str):
            self.visitors[(item.customer.pk, visitor[:VISITOR_CHARS])] = item.ticket
        elif item.msg.channel not in THREADED_CHANNELS:
            self.open[(item.customer.pk, item.msg.channel)] = item.ticket


def _references(msg: InboundMessage) -> list[str]:
    # RFC 5322 §3.6.4: In-Reply-To names the parent, References the whole thread,
    # newest last. Outlook sometimes drops In-Reply-To but keeps References.
    return [ref for ref in [msg.in_reply_to, *reversed(msg.references)] if ref]


def _find_tickets(items: list[Item]) -> None:
    tickets = _Tickets(items)
    opened: list[Ticket] = []
    for item in items:
        msg = item.msg
        # A number that answers a pending survey (SMS, WhatsApp) is the answer, not a new
        # contact: it joins the survey's ticket and never opens or reopens one.
        item.survey = surveys.survey_for_reply(msg=msg, customer=item.customer)
        item.ticket = item.survey.ticket if item.survey is not None else tickets.continued(msg, item.customer)
        if item.ticket is None and msg.is_auto_reply:
            # An out-of-office answer to nothing we know of is not a contact. The event
            # stays, marked ignored, for anyone who wants to look.
            item.status = EventStatus.IGNORED
            continue
        if item.ticket is None:
            item.ticket, item.opened_ticket = _ticket_new(msg, item.customer, item.now), True
            opened.append(item.ticket)
        tickets.joined(item)
    _tickets_open(opened)


def _ticket_new(msg: InboundMessage, customer: Customer, now: datetime) -> Ticket:
    subject = msg.subject or " ".join((msg.text or html_to_text(msg.html)).split())[:80]
    return Ticket(
        open_conversation=None if msg.channel in THREADED_CHANNELS else f"{msg.channel}:{customer.pk}",
        subject=subject[:300] or "(no subject)",
        channel=msg.channel,
        customer=customer,
        priority=Ticket.Priority.HIGH if customer.is_vip else Ticket.Priority.NORMAL,
        created_at=now,
        updated_at=now,
        # Its first message is never an auto-reply (those open no ticket): it is the first contact.
        first_inbound_at=now,
        last_inbound_at=now,
    )


def _tickets_open(tickets: list[Ticket]) -> None:
    if not tickets:
        return
    # A ticket no longer active gives its conversation up; an active one keeps it, and
    # the unique index then refuses a second ticket (the batch goes again event by event).
    Ticket.objects.filter(open_conversation__in=[t.open_conversation for t in tickets if t.open_conversation]).exclude(
        status__in=Ticket.ACTIVE_STATUSES
    ).update(open_conversation=None)
    Ticket.objects.bulk_create(tickets)
    TicketActivity.objects.bulk_create(
        TicketActivity(ticket=ticket, kind=TicketActivity.Kind.CREATED, data={"channel": ticket.channel})
        for ticket in tickets
    )
    kpi_days_mark(ticket.created_at for ticket in tickets)


# Step 6: the follow-ups, in the outbox of the batch's transaction; realtime events after commit.


def _queue_followups(items: list[Item]) -> None:
    by_channel: dict[str, list[Message]] = defaultdict(list)
    for item in items:
        events.publish_message_created(item.message)
        by_channel[item.msg.channel].append(item.message)
        fetch_task = registry.get_media_fetch_task(item.msg.channel) if item.pending_media else None
        if fetch_task:
            outbox_task(fetch_task, item.pending_media)
    # Assignment of a new ticket, sentiment, the SLA clock, the acknowledgement and the
    # escalation rules; not for auto-replies nor survey answers.
    contacts = [item.message.pk for item in items if item.survey is None and not item.msg.is_auto_reply]
    outbox_batched_calls("tickets.tasks.inbound_followups_batch", contacts)
    for channel, messages in by_channel.items():
        followup = registry.get_inbound_followup(channel)
        if followup is not None:
            followup(messages)
