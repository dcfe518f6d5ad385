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
conversation at a time. Steps 2 to 6 run over a whole batch at once
(tickets.services.pipeline).
"""

from __future__ import annotations

import functools
import logging
import traceback
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from tickets import pipeline_worker
from tickets.inbound import InboundMessage
from tickets.models import Channel, InboundEvent, Message, Ticket
from tickets.services.conversations import conversation_key, conversation_lock
from tickets.services.outbox import outbox_task
from tickets.services.pipeline import InvalidInbound, pipeline_run
from tickets.services.sanitize import strip_control_chars

logger = logging.getLogger(__name__)

EventStatus = InboundEvent.Status
CHANNELS = frozenset(Channel.values)
DONE = (EventStatus.PROCESSED, EventStatus.DUPLICATE, EventStatus.IGNORED)
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


def _clean(msg: InboundMessage) -> InboundMessage:
    """Strings as the database and a reader can take them."""
    if msg.channel not in CHANNELS:
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


def inbound_event_record(msg: InboundMessage, *, raw: bytes | None = None, notify: bool = False) -> InboundEvent:
    """Step 1: the raw event, committed on its own before anything can fail; with
    `notify`, its INSERT wakes the pipeline workers of other processes as it commits."""
    msg = _clean(msg)
    event = InboundEvent(
        channel=msg.channel,
        external_id=msg.external_id,
        payload=msg.to_payload(),
        raw=raw,
        conversation_key=conversation_key(msg),
    )
    _event_insert(event, notify=notify)
    return event


# The columns an accepted event is stored with; the others keep their defaults.
_RECORDED_FIELDS = ("channel", "external_id", "payload", "raw", "status", "conversation_key", "error", "attempts", "created_at")


def _event_insert(event: InboundEvent, *, notify: bool) -> None:
    """`event.save()` as one prepared INSERT: every inbound message pays for this
    before its sender gets an answer, and the ORM's save costs as much CPU as the
    database's round trip and commit."""
    fields = [InboundEvent._meta.get_field(name) for name in _RECORDED_FIELDS]
    values = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(_event_insert_sql(connection.vendor, notify), values)
        if connection.features.can_return_columns_from_insert:
            event.pk = cursor.fetchone()[0]
        else:
            event.pk = connection.ops.last_insert_id(cursor, InboundEvent._meta.db_table, "id")
    event._state.adding, event._state.db = False, connection.alias


@functools.cache
def _event_insert_sql(vendor: str, notify: bool) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(InboundEvent._meta.get_field(name).column) for name in _RECORDED_FIELDS)
    placeholders = ", ".join(["%s"] * len(_RECORDED_FIELDS))
    returning = f" RETURNING {quote('id')}" if connection.features.can_return_columns_from_insert else ""
    if notify:
        returning += f", {pipeline_worker.NOTIFY_SQL}"
    return f"INSERT INTO {quote(InboundEvent._meta.db_table)} ({columns}) VALUES ({placeholders}){returning}"


def inbound_accept(msg: InboundMessage, *, raw: bytes | None = None) -> IngestResult:
    """What a webhook or a mailbox poll calls: the raw event is stored, and the caller
    answers at once. A pipeline worker (of this process or, woken through NOTIFY, of
    another) processes it within milliseconds, in a batch, off the request path. Where
    Celery runs eagerly (the embedded defaults) it is processed here, before the
    answer, so that one process sees the result at once."""
    # A server that only accepts wakes the workers elsewhere with the INSERT itself:
    # a separate NOTIFY would cost a round trip and a commit of its own.
    notify = pipeline_worker.wakes_by_notify()
    event = inbound_event_record(msg, raw=raw, notify=notify)
    if pipeline_worker.runs_inline():
        return inbound_event_process(event)
    if not notify:
        pipeline_worker.wake_after_commit()
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
    """Processes an event whose row and conversation the caller's transaction holds."""
    return inbound_events_process_claimed([event])[0]


def inbound_events_process_claimed(batch: list[InboundEvent]) -> list[IngestResult]:
    """Processes events whose rows and conversations the caller's transaction holds,
    in their order, as one batch in one savepoint. A batch that fails goes again
    event by event, each in a savepoint of its own: a failing event rolls back alone,
    and is retried later."""
    results = {
        event.pk: IngestResult(event=event, message=event.messages.first()) for event in batch if event.status in DONE
    }
    todo = [event for event in batch if event.status not in DONE]
    if len(todo) == 1:
        results[todo[0].pk] = _process_alone(todo[0])
    elif todo:
        try:
            with transaction.atomic():
                results.update(_process(todo))
        except Exception:
            logger.info("a batch of %d inbound events goes again one by one", len(todo), exc_info=True)
            results.update({event.pk: _process_alone(event) for event in todo})
    return [results[event.pk] for event in batch]


def _process_alone(event: InboundEvent) -> IngestResult:
    try:
        with transaction.atomic():
            return _process([event])[event.pk]
    except IntegrityError:
        # Two deliveries of the same message raced; the other one stored it.
        msg = InboundMessage.from_payload(event.payload)
        if msg.external_id and Message.objects.filter(channel=msg.channel, external_id=msg.external_id).exists():
            _record_outcomes([(event, EventStatus.DUPLICATE)])
            return IngestResult(event=event)
        return _fail(event)
    except Exception:
        return _fail(event)


def _process(batch: list[InboundEvent]) -> dict[int, IngestResult]:
    items = pipeline_run(batch)
    # The outcomes commit with the messages: one commit, not two.
    _record_outcomes([(item.event, item.status) for item in items])
    return {item.event.pk: IngestResult(event=item.event, message=item.message) for item in items}


def _record_outcomes(outcomes: list[tuple[InboundEvent, str]]) -> None:
    now = timezone.now()
    by_status: dict[str, list[int]] = {}
    for event, status in outcomes:
        by_status.setdefault(status, []).append(event.pk)
    # One statement for the batch, each event's status by a WHEN per status.
    InboundEvent.objects.filter(pk__in=[event.pk for event, _ in outcomes]).update(
        status=Case(*[When(pk__in=ids, then=Value(status)) for status, ids in by_status.items()]),
        error="",
        attempts=F("attempts") + 1,
        processed_at=now,
    )
    for event, status in outcomes:
        event.status, event.error, event.processed_at = status, "", now
        event.attempts += 1


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
