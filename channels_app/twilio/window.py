"""WhatsApp's 24-hour customer-service window, computed from the customer's last
inbound WhatsApp message: within it any message may be sent, outside it only an
approved template. https://developers.facebook.com/docs/whatsapp/pricing#customer-service-windows
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from tickets.models import Channel, Direction, Message

WHATSAPP_WINDOW = timedelta(hours=24)


def whatsapp_window_closes_at(customer_id: int) -> datetime | None:
    """When the window closes (or closed); None when the customer never wrote on WhatsApp."""
    last_inbound = (
        Message.objects.filter(customer_id=customer_id, channel=Channel.WHATSAPP, direction=Direction.IN)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last_inbound + WHATSAPP_WINDOW if last_inbound else None


def whatsapp_window_open(customer_id: int, *, now: datetime | None = None) -> bool:
    """Whether a free-form WhatsApp message may be sent to the customer now."""
    closes_at = whatsapp_window_closes_at(customer_id)
    return closes_at is not None and (now or timezone.now()) < closes_at
