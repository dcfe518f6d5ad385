"""Accepted inbound events waiting to be processed, taken in batches.

Each batch is one transaction: its events are claimed with SKIP LOCKED, so that
several processes share the queue, and each conversation (a channel and its
sender) is locked with a PostgreSQL advisory lock, so that one customer's
messages on one channel are processed in order, one at a time, while other
conversations go on in parallel elsewhere."""

from __future__ import annotations

from django.db import connection, transaction

from tickets.models import InboundEvent
from tickets.services.conversations import conversation_lock_id
from tickets.services.ingest import inbound_events_process_claimed

# A batch costs about 30 statements whatever its size, so a backlog goes in large ones;
# events that arrive one at a time are still taken as soon as they come.
BATCH_SIZE = 500


def inbound_events_process_pending(*, limit: int = BATCH_SIZE) -> int:
    """Processes one batch of accepted events; returns how many it processed."""
    with transaction.atomic():
        events = list(
            InboundEvent.objects.select_for_update(skip_locked=True)
            .filter(status=InboundEvent.Status.RECEIVED)
            .order_by("id")[:limit]
        )
        if not events:
            return 0
        runnable = _in_order(events)
        inbound_events_process_claimed(runnable)
        return len(runnable)


def _in_order(events: list[InboundEvent]) -> list[InboundEvent]:
    """The events this batch may process now: those of the conversations whose lock it
    got, up to the first event of that conversation held by another batch."""
    if connection.vendor != "postgresql":
        return events  # SQLite has one writer at a time: the batch is the order
    keys = sorted({event.conversation_key for event in events})
    ids = [event.pk for event in events]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key FROM unnest(%s::text[], %s::bigint[]) AS conversation(key, lock_id)"
            " WHERE pg_try_advisory_xact_lock(lock_id)",
            [keys, [conversation_lock_id(key) for key in keys]],
        )
        locked = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT conversation_key, min(id) FROM tickets_inboundevent"
            " WHERE status = %s AND conversation_key = ANY(%s) AND NOT (id = ANY(%s)) GROUP BY conversation_key",
            [InboundEvent.Status.RECEIVED, list(locked), ids],
        )
        held_elsewhere = dict(cursor.fetchall())
    return [
        event
        for event in events
        if event.conversation_key in locked and event.pk < held_elsewhere.get(event.conversation_key, event.pk + 1)
    ]
