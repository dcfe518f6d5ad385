"""/ws/portal/: pushes a signed-in customer's ticket changes to their open portal
pages, so that a status or a new answer shows without a reload.

The customer's group also carries internal notes and agent-only changes, so only
a few facts leave this consumer, and never a message's text: a ticket's new
status, that a ticket got an answer or a message from the customer, and that a
ticket was created. The page
fetches what it shows through the portal's own views, which check ownership."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer

from tickets import events
from tickets.models import Direction
from tickets.selectors.portal import portal_customer_for_user

# Private-use close code (RFC 6455 §7.4.2): not signed in as a customer.
CLOSE_NOT_SIGNED_IN = 4401


class PortalConsumer(JsonWebsocketConsumer):
    def connect(self) -> None:
        customer = portal_customer_for_user(self.scope.get("user"))
        if customer is None:
            self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.group = events.customer_group(customer.pk)
        async_to_sync(self.channel_layer.group_add)(self.group, self.channel_name)
        self.accept()

    def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            async_to_sync(self.channel_layer.group_discard)(self.group, self.channel_name)

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The portal's socket only listens; whatever a client sends is ignored."""

    def helpdesk_event(self, message: dict[str, Any]) -> None:
        frame = customer_frame(message.get("event") or {})
        if frame is not None:
            self.send_json(frame)


def customer_frame(event: dict[str, Any]) -> dict[str, Any] | None:
    """What a customer may learn from one of the helpdesk's realtime events."""
    kind = event.get("type")
    if kind == "ticket.changed":
        changes = event.get("changes") or {}
        if "status" in changes:
            return {"type": "status", "ticket": event.get("ticket"), "status": changes["status"]}
        if changes.get("created"):
            return {"type": "created", "ticket": event.get("ticket")}
    if kind == "message.created":
        message = event.get("message") or {}
        if message.get("direction") == Direction.OUT:
            return {"type": "answer", "ticket": message.get("ticket")}
        if message.get("direction") == Direction.IN:
            # The customer's own message from another channel or tab: perhaps a new ticket.
            return {"type": "message", "ticket": message.get("ticket")}
    return None
