"""THE inbound pipeline. Every channel ends here; nothing else creates inbound
messages.

1. Persist the raw event first, so that a crash later never loses a contact.
2. Deduplicate on (channel, external id); a unique constraint settles races.
3. Resolve the sender to a customer through normalized identities.
4. Find the ticket (email threading, else the customer's open ticket on the
   channel), or open one. Auto-replies and bounces never reopen a ticket.
5. Append the message, its sanitized HTML and its attachments.
6. The follow-up tasks, written to the outbox in the message's transaction;
   realtime events after commit.

Webhooks and mailbox polls only accept (step 1) and answer; the pipeline worker
processes accepted events in batches (tickets.services.inbound_queue), one
conversation at a time.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from tickets import events, pipeline_worker, registry
from tickets.inbound import InboundAttachment, InboundMessage
from tickets.models import (
    Attachment,
    Channel,
    Customer,
    Direction,
    InboundEvent,
    Message,
    Ticket,
    TicketActivity,
)
from tickets.services import delivery, surveys
from tickets.services.conversations import conversation_key, conversation_lock
from tickets.services.customers import customer_resolve
from tickets.services.filenames import filename_clean
from tickets.services.kpi_facts import kpi_inbound_contact
from tickets.services.kpi_rollups import kpi_days_mark
from tickets.services.outbox import outbox_task
from tickets.services.sanitize import html_to_text, sanitize_html, strip_control_chars
from tickets.services.search_documents import search_document_append, search_document_create
from tickets.services.tickets import ticket_id_from_subject, ticket_set_status

logger = logging.getLogger(__name__)

EventStatus = InboundEvent.Status
# Email threads by its headers, and a chat by its widget session; the other channels
# have one conversation per customer.
THREADED_CHANNELS = (Channel.EMAIL, Channel.CHAT)
# A failed event is retried this often by itself; `replay_inbound_events` does the rest.
MAX_AUTOMATIC_ATTEMPTS = 5


@dataclass(frozen=True)
class IngestResult:
    event: InboundEvent
    message: Message | None = None

    @property
    def status(self) -> str:
        return self.event.status

    @property
    def ticket(self) -> Ticket | None:
        return self.message.ticket if self.message else None


class InvalidInbound(ValueError):
    """The adapter produced something the pipeline cannot take; a 400 at the edge."""


def _clean(msg: InboundMessage) -> InboundMessage:
    """Strings as the database and a reader can take them."""
    if msg.channel not in Channel.values:
        raise InvalidInbound(f"unknown channel {msg.channel!r}")
    if not (msg.sender or "").strip() and msg.customer_id is None:
        raise InvalidInbound("the message has no sender")
    msg.external_id = strip_control_chars(msg.external_id or "").strip()[:255]
    msg.sender = strip_control_chars(msg.sender).strip()[:320]
    msg.sender_name = strip_control_chars(msg.sender_name).strip()[:200]
    msg.subject = " ".join(strip_control_chars(msg.subject).split())[:300]
    msg.text = strip_control_chars(msg.text).replace("\r\n", "\n")[: settings.HELPDESK_MAX_TEXT_CHARS]
    msg.html = strip_control_chars(msg.html)
    msg.in_reply_to = strip_control_chars(msg.in_reply_to).strip()[:255]
    msg.references = [strip_control_chars(ref).strip()[:255] for ref in msg.references if ref and ref.strip()][-50:]
    msg.bounced_message_ids = [strip_control_chars(ref).strip()[:255] for ref in msg.bounced_message_ids]
    for attachment in msg.attachments:
        attachment.filename = strip_control_chars(attachment.filename)[:200]
        attachment.content_type = strip_control_chars(attachment.content_type)[:150]
        attachment.content_id = strip_control_chars(attachment.content_id)[:255]
    return msg


def inbound_event_record(msg: InboundMessage, *, raw: bytes | None = None) -> InboundEvent:
    """Step 1: the raw event, committed on its own before anything can fail."""
    msg = _clean(msg)
    return InboundEvent.objects.create(
        channel=msg.channel,
        external_id=msg.external_id,
        payload=msg.to_payload(),
        raw=raw,
        conversation_key=conversation_key(msg),
    )


def inbound_accept(msg: InboundMessage, *, raw: bytes | None = None) -> IngestResult:
    """What a webhook or a mailbox poll calls: the raw event is stored, and the caller
    answers at once. The pipeline worker processes it within milliseconds, in a batch,
    off the request path. Where Celery runs eagerly (the embedded defaults) it is
    processed here, before the answer, so that one process sees the result at once."""
    event = inbound_event_record(msg, raw=raw)
    if pipeline_worker.runs_inline():
        return inbound_event_process(event)
    transaction.on_commit(pipeline_worker.wake)
    return IngestResult(event=event)


def ingest(msg: InboundMessage, *, raw: bytes | None = None) -> IngestResult:
    """Records the event, then processes it at once, for callers that show the result
    to the person who sent it (the chat, the portal). Processing errors leave the
    event failed, retried later, and never lose it."""
    event = inbound_event_record(msg, raw=raw)
    return inbound_event_process(event)


def inbound_event_process_by_id(*, event_id: int) -> IngestResult:
    return inbound_event_process(InboundEvent.objects.get(pk=event_id))


def inbound_event_process(event: InboundEvent) -> IngestResult:
    """Processes one event in a transaction of its own, in its conversation's turn."""
    with transaction.atomic():
        conversation_lock(event.conversation_key)
        # A pipeline worker may have taken it meanwhile; its row lock says so.
        event = InboundEvent.objects.select_for_update().get(pk=event.pk)
        return inbound_event_process_claimed(event)


def inbound_event_process_claimed(event: InboundEvent) -> IngestResult:
    """Processes an event whose row and conversation the caller's transaction holds.
    A failure rolls back this event's savepoint only, and is retried later."""
    if event.status in (EventStatus.PROCESSED, EventStatus.DUPLICATE, EventStatus.IGNORED):
        return IngestResult(event=event, message=event.messages.first())
    msg = InboundMessage.from_payload(event.payload)
    try:
        with transaction.atomic():
            status, message = _process(event, msg)
            # The event's outcome commits with the message: one commit, not two.
            result = _finish(event, status, message)
    except IntegrityError:
        # Two deliveries of the same message raced; the other one stored it.
        if msg.external_id and Message.objects.filter(channel=msg.channel, external_id=msg.external_id).exists():
            return _finish(event, EventStatus.DUPLICATE)
        return _fail(event)
    except Exception:
        return _fail(event)
    return result


def _finish(event: InboundEvent, status: str, message: Message | None = None) -> IngestResult:
    event.status = status
    event.error = ""
    event.attempts += 1
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "error", "attempts", "processed_at"])
    return IngestResult(event=event, message=message)


def _fail(event: InboundEvent) -> IngestResult:
    logger.exception("inbound event %s failed; it is kept for replay", event.pk)
    event.status = EventStatus.FAILED
    event.error = traceback.format_exc()[-4000:]
    event.attempts += 1
    event.save(update_fields=["status", "error", "attempts"])
    if event.attempts < MAX_AUTOMATIC_ATTEMPTS:
        # Tried again later from the stored event: after 5 s (a deadlock or a passing
        # outage), 20 s, 80 s, then 5 minutes.
        outbox_task("tickets.tasks.process_inbound_event", event.pk, countdown=5 * 4 ** (event.attempts - 1))
    return IngestResult(event=event)


def _process(event: InboundEvent, msg: InboundMessage) -> tuple[str, Message | None]:
    # Step 2: a redelivery is acknowledged and changes nothing.
    if msg.external_id and Message.objects.filter(channel=msg.channel, external_id=msg.external_id).exists():
        return EventStatus.DUPLICATE, None
    if msg.is_bounce:
        _record_bounce(msg)
        return EventStatus.PROCESSED, None

    # Step 3.
    customer = _customer_for(msg)
    # A number that answers a pending survey (SMS, WhatsApp) is the answer, not a new
    # contact: it joins the survey's ticket and never opens or reopens one.
    survey = surveys.survey_for_reply(msg=msg, customer=customer)
    # Step 4.
    ticket = survey.ticket if survey is not None else _thread_ticket(msg, customer)
    if ticket is None and msg.is_auto_reply:
        # An out-of-office answer to nothing we know of is not a contact. The event
        # stays, marked ignored, for anyone who wants to look.
        return EventStatus.IGNORED, None
    now = timezone.now()
    created = ticket is None
    if created:
        ticket = _ticket_open(msg, customer, now)
    # Step 5.
    message = Message.objects.create(
        ticket=ticket,
        customer=customer,
        channel=msg.channel,
        direction=Direction.IN,
        subject=msg.subject,
        text=msg.text or html_to_text(msg.html),
        html=sanitize_html(msg.html),
        external_id=msg.external_id or None,
        is_auto_reply=msg.is_auto_reply,
        # Inbound and automatic: a survey answer, never a contact.
        is_automatic=survey is not None,
        event=event,
        metadata={**msg.metadata, "survey_answer": survey.pk} if survey is not None else msg.metadata,
        created_at=now,
    )
    search_document_append(ticket_id=ticket.pk, text=message.text)
    pending_media = _store_attachments(message, msg.attachments)
    if survey is None and not msg.is_auto_reply:
        kpi_inbound_contact(customer_id=customer.pk, at=now)
    if survey is not None:
        surveys.survey_record_reply(survey=survey, message=message)
    else:
        _ticket_touch(ticket, customer, msg, now, created=created)

    # Step 6.
    # Step 6: in the outbox, committed with the message.
    events.publish_message_created(message)
    if pending_media:
        fetch_task = registry.get_media_fetch_task(msg.channel)
        if fetch_task:
            outbox_task(fetch_task, pending_media)
    if survey is None and not msg.is_auto_reply:
        # Assignment of a new ticket, sentiment, the SLA clock, the acknowledgement and
        # the escalation rules.
        outbox_task("tickets.tasks.inbound_followups_batch", message.pk, batched=True)
    return EventStatus.PROCESSED, message


def _customer_for(msg: InboundMessage) -> Customer:
    if msg.customer_id is not None:
        customer = Customer.objects.filter(pk=msg.customer_id).first()
        if customer is None:
            raise InvalidInbound(f"customer {msg.customer_id} does not exist")
        return customer
    customer = customer_resolve(sender=msg.sender, name=msg.sender_name, extra_addresses=msg.sender_extra_addresses)
    if msg.language and not customer.language:
        Customer.objects.filter(pk=customer.pk, language="").update(language=msg.language[:8])
    return customer


def _thread_ticket(msg: InboundMessage, customer: Customer) -> Ticket | None:
    """The ticket this message continues, or None for a new one. A ticket is only
    ever continued by its own customer: a stranger's reply opens a ticket of theirs."""
    candidate: Ticket | None = None
    if msg.ticket_id is not None:
        candidate = Ticket.objects.filter(pk=msg.ticket_id, customer=customer).first()
    if candidate is None and msg.channel == Channel.EMAIL:
        candidate = _email_thread(msg, customer)
    elif candidate is None and msg.channel != Channel.CHAT:
        # SMS and WhatsApp have no threads: the open conversation on the channel is it.
        # A chat continues only the ticket its widget session names: a visitor who gave
        # someone else's (unverified) address never joins that customer's conversation.
        candidate = (
            Ticket.objects.filter(customer=customer, channel=msg.channel, status__in=Ticket.ACTIVE_STATUSES)
            .order_by("-updated_at")
            .first()
        )
    if candidate is not None and candidate.status == Ticket.Status.CLOSED and not msg.is_auto_reply:
        return None
    return candidate


def _email_thread(msg: InboundMessage, customer: Customer) -> Ticket | None:
    # RFC 5322 §3.6.4: In-Reply-To names the parent, References the whole thread,
    # newest last. Outlook sometimes drops In-Reply-To but keeps References.
    references = [ref for ref in [msg.in_reply_to, *reversed(msg.references)] if ref]
    if references:
        known = (
            Message.objects.filter(channel=Channel.EMAIL, external_id__in=references, customer=customer)
            .select_related("ticket")
            .order_by("-created_at")
            .first()
        )
        if known is not None:
            return known.ticket
    ticket_id = ticket_id_from_subject(msg.subject)
    if ticket_id is not None:
        return Ticket.objects.filter(pk=ticket_id, customer=customer).first()
    return None


def _ticket_open(msg: InboundMessage, customer: Customer, now) -> Ticket:
    subject = msg.subject or " ".join((msg.text or html_to_text(msg.html)).split())[:80]
    conversation = None if msg.channel in THREADED_CHANNELS else f"{msg.channel}:{customer.pk}"
    if conversation is not None:
        # A ticket no longer active gives the conversation up; an active one keeps it,
        # and the unique index then refuses a second ticket (the event is retried).
        Ticket.objects.filter(open_conversation=conversation).exclude(status__in=Ticket.ACTIVE_STATUSES).update(
            open_conversation=None
        )
    ticket = Ticket.objects.create(
        open_conversation=conversation,
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
    TicketActivity.objects.create(ticket=ticket, kind=TicketActivity.Kind.CREATED, data={"channel": msg.channel})
    kpi_days_mark([now])
    search_document_create(ticket=ticket)
    return ticket


def _ticket_touch(ticket: Ticket, customer: Customer, msg: InboundMessage, now, *, created: bool) -> None:
    if msg.is_auto_reply:
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
        return
    if not created:  # a new ticket was written with these already
        fields = ["updated_at", "last_inbound_at"]
        ticket.updated_at = now
        ticket.last_inbound_at = now
        if ticket.first_inbound_at is None:
            ticket.first_inbound_at = now
            fields.append("first_inbound_at")
        ticket.save(update_fields=fields)
    Customer.objects.filter(pk=customer.pk).update(last_inbound_at=now)
    if not created and ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.PENDING):
        # The customer wrote again: a pending ticket is theirs to answer, a resolved one reopens.
        ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, reason="customer replied")


def _store_attachments(message: Message, attachments: list[InboundAttachment]) -> list[int]:
    """Stores the files through Django's storage API. Files a provider hosts are
    fetched after commit; their ids are returned."""
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    pending: list[int] = []
    dropped: list[str] = []
    for item in attachments:
        filename = _safe_filename(item.filename)
        content_type = (item.content_type or "application/octet-stream").lower()
        if item.content is None:
            if item.source_url:
                attachment = Attachment.objects.create(
                    message=message, filename=filename, content_type=content_type, source_url=item.source_url
                )
                pending.append(attachment.pk)
            continue
        if item.size > limit:
            dropped.append(f"{filename} ({item.size} bytes)")
            continue
        attachment = Attachment(
            message=message,
            filename=filename,
            content_type=content_type,
            size=item.size,
            content_id=item.content_id.strip("<>"),
            inline=item.inline,
        )
        attachment.file.save(filename, ContentFile(item.content), save=False)
        attachment.save()
    if dropped:
        message.metadata = {**message.metadata, "dropped_attachments": dropped}
        message.save(update_fields=["metadata"])
    return pending


def _safe_filename(raw: str) -> str:
    # Only the last path component: a name like "../../etc/passwd" is a name, not a path.
    # Thai vowel and tone marks are kept (get_valid_filename dropped them).
    return filename_clean(raw)


def _record_bounce(msg: InboundMessage) -> None:
    """A delivery-status report: the outbound messages it names failed. It opens no ticket."""
    if not msg.bounced_message_ids:
        return
    bounced = Message.objects.filter(
        channel=Channel.EMAIL, direction=Direction.OUT, external_id__in=msg.bounced_message_ids
    )
    for message in bounced:
        delivery.delivery_record(
            message=message,
            status=Message.DeliveryStatus.FAILED,
            error=msg.bounce_reason or "the recipient's mail server returned the message",
            error_code="bounce",
        )
