"""The only place that publishes realtime events. Events go out after commit, so a
rolled-back change never shows in a console, and through the channel layer, so
every server process sees them."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from tickets import integration_events

logger = logging.getLogger(__name__)

CONSOLE_GROUP = "console"

# Events waiting for Redis beyond this are dropped (and logged): a Redis outage must
# cost realtime updates, never memory without bound nor the caller's time.
PUBLISH_QUEUE_SIZE = 10_000
# How long a process that exits waits for its last events to reach Redis.
EXIT_FLUSH_SECONDS = 2.0


def ticket_group(ticket_id: int) -> str:
    return f"ticket-{ticket_id}"


def customer_group(customer_id: int) -> str:
    return f"customer-{customer_id}"


def chat_visitor_group(visitor: str) -> str:
    """Every open chat widget of one visitor, on any server process."""
    return f"chat-{visitor}"


def send_event(groups: list[str], event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "helpdesk.event", "event": event}
    if _is_redis_layer(layer):
        # Also from an ASGI server's sync threads: handing over takes microseconds, where
        # async_to_sync there waits for Redis (milliseconds) in the one thread that runs
        # the server's thread-sensitive sync code.
        _process_publisher().publish(layer, groups, message)
        return
    # The in-memory layer's queues belong to the event loop of the consumers that read
    # them (a test's, or the dev server's): deliver there, synchronously.
    try:
        async_to_sync(_group_send_all)(layer, groups, message)
    except Exception:  # a realtime hiccup must never fail the change that caused it
        logger.exception("could not publish %s", event.get("type"))


async def _group_send_all(layer, groups: list[str], message: dict[str, Any]) -> None:
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.exception("could not publish %s to %s", message["event"].get("type"), group)


def _is_redis_layer(layer) -> bool:
    return type(layer).__module__.startswith("channels_redis.")


class _Publisher:
    """Hands events to one daemon thread that sends them from one long-lived event
    loop, so the channel layer keeps its Redis connections instead of opening one per
    event (async_to_sync outside a server starts a loop, and a connection, per call).
    The caller never waits for Redis. One queue and one sender keep the process's
    events in the order they were published."""

    _STOP = object()

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.queue: queue.Queue = queue.Queue(maxsize=PUBLISH_QUEUE_SIZE)
        self.dropped = 0
        self.thread = threading.Thread(target=self._run, name="realtime-events", daemon=True)
        self.thread.start()

    def publish(self, layer, groups: list[str], message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait((layer, groups, message))
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.error(
                    "realtime events queue is full (Redis slow or down): dropped %s, %d so far",
                    message["event"].get("type"), self.dropped,
                )  # fmt: skip

    def flush_and_stop(self, *, timeout: float) -> bool:
        """Sends what is queued, within `timeout`; True when all of it went out."""
        deadline = time.monotonic() + timeout
        try:
            self.queue.put(self._STOP, timeout=timeout)
        except queue.Full:
            return False
        self.thread.join(max(0.0, deadline - time.monotonic()))
        return not self.thread.is_alive()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while True:
                batch = [self.queue.get()]
                # Whatever else is already waiting goes out in the same trip into the loop.
                while batch[-1] is not self._STOP and len(batch) < 500:
                    try:
                        batch.append(self.queue.get_nowait())
                    except queue.Empty:
                        break
                stop = batch[-1] is self._STOP
                if stop:
                    batch.pop()
                try:
                    loop.run_until_complete(self._send(batch))
                except Exception:
                    logger.exception("could not publish %d realtime events", len(batch))
                if stop:
                    return
        finally:
            loop.close()  # channels_redis closes this loop's connections with it

    @staticmethod
    async def _send(batch: list[tuple[Any, list[str], dict[str, Any]]]) -> None:
        for layer, groups, message in batch:
            await _group_send_all(layer, groups, message)


_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def _process_publisher() -> _Publisher:
    global _publisher
    publisher = _publisher
    # A forked child (Celery's prefork pool) inherits the parent's publisher but not its
    # thread: it starts one of its own, and never sends what the parent had queued.
    if publisher is None or publisher.pid != os.getpid():
        with _publisher_lock:
            if _publisher is None or _publisher.pid != os.getpid():
                _publisher = _Publisher()
            publisher = _publisher
    return publisher


def _renew_lock_after_fork() -> None:
    # The parent may have forked while another of its threads held the lock.
    global _publisher_lock
    _publisher_lock = threading.Lock()


def flush_pending_events(*, timeout: float = EXIT_FLUSH_SECONDS) -> bool:
    """Waits up to `timeout` for the events this process queued to reach the channel
    layer, for a process about to exit; True when all of them went out. Runs at
    interpreter exit; a process that ends with os._exit (a forked pool worker) calls
    it itself. A later event starts a new sender."""
    global _publisher
    with _publisher_lock:
        publisher = _publisher
        if publisher is None or publisher.pid != os.getpid():
            return True
        _publisher = None
    if publisher.flush_and_stop(timeout=timeout):
        return True
    logger.warning("realtime events not all sent within %s s", timeout)
    return False


atexit.register(flush_pending_events)
if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_renew_lock_after_fork)


def publish_on_commit(groups: list[str], event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_event(groups, event))


def message_event(message) -> dict[str, Any]:
    return {
        "type": "message.created",
        "message": {
            "id": message.pk,
            "ticket": message.ticket_id,
            "customer": message.customer_id,
            "channel": message.channel,
            "direction": message.direction,
            "text": message.text[:500],
            "is_automatic": message.is_automatic,
            "delivery_status": message.delivery_status,
            "created_at": message.created_at.isoformat(),
        },
    }


def publish_message_created(message) -> None:
    groups = [CONSOLE_GROUP, ticket_group(message.ticket_id), customer_group(message.customer_id)]
    publish_on_commit(groups, message_event(message))
    # Integrations hear of it too, through the outbox of this same transaction.
    integration_events.message_created(message)


def publish_ticket_changed(ticket, *, changes: dict[str, Any]) -> None:
    event = {"type": "ticket.changed", "ticket": ticket.pk, "changes": changes}
    # The customer's group too: their open portal pages show a new status live.
    publish_on_commit([CONSOLE_GROUP, ticket_group(ticket.pk), customer_group(ticket.customer_id)], event)
    integration_events.ticket_changed(ticket, changes=changes)


def publish_delivery_status(message) -> None:
    event = {
        "type": "message.status",
        "message": message.pk,
        "ticket": message.ticket_id,
        "delivery_status": message.delivery_status,
        "error_code": message.delivery_error_code,
        "error": message.delivery_error,
    }
    publish_on_commit([CONSOLE_GROUP, ticket_group(message.ticket_id), customer_group(message.customer_id)], event)


def publish_chat_visitors_erased(visitors: list[str]) -> None:
    """Tells the erased visitors' open widgets at once, not at their next frame."""
    if visitors:
        publish_on_commit([chat_visitor_group(visitor) for visitor in visitors], {"type": "session.erased"})
