"""The only place that publishes realtime events. Events go out after commit, so a
rolled-back change never shows in a console, and through the channel layer, so
every server process sees them."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

CONSOLE_GROUP = "console"


def ticket_group(ticket_id: int) -> str:
    return f"ticket-{ticket_id}"


def customer_group(customer_id: int) -> str:
    return f"customer-{customer_id}"


def send_event(groups: list[str], event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # One trip into an event loop for all the groups: each async_to_sync call starts a
    # loop, and with Redis a connection, of its own.
    try:
        async_to_sync(_group_send_all)(layer, groups, {"type": "helpdesk.event", "event": event})
    except Exception:  # a realtime hiccup must never fail the change that caused it
        logger.exception("could not publish %s", event.get("type"))


async def _group_send_all(layer, groups: list[str], message: dict[str, Any]) -> None:
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.exception("could not publish %s to %s", message["event"].get("type"), group)


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


def publish_ticket_changed(ticket, *, changes: dict[str, Any]) -> None:
    event = {"type": "ticket.changed", "ticket": ticket.pk, "changes": changes}
    publish_on_commit([CONSOLE_GROUP, ticket_group(ticket.pk)], event)


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
