"""What Meta tells us about the messages we (or the page) sent: echoes, delivery and
read receipts. Echoes settle sends whose answer was lost, and put on the timeline what
the page sent from outside the helpdesk (Meta Business Suite, the Instagram app).
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db.models import Q

from channels_app.meta.parsing import as_dict, event_time, text_of
from tickets.models import ContactIdentity, Direction, Message, Ticket
from tickets.services.delivery import delivery_record
from tickets.services.replies import ReplyError, reply_create

Status = Message.DeliveryStatus
# How many of a customer's newest messages a read receipt's watermark may mark read.
_RECEIPT_SCAN = 50


def _customer_id(channel: str, user_id: str) -> int | None:
    return ContactIdentity.objects.filter(kind=channel, address=user_id).values_list("customer_id", flat=True).first()


def meta_echo_record(*, channel: str, item: dict) -> Message | None:
    """A message the page sent. Ours (its metadata is our idempotency key, or its mid is
    known) is marked sent; another is added to the customer's open ticket as sent by the
    page, once per mid. Nothing when the customer or their ticket is unknown."""
    message = as_dict(item.get("message"))
    mid = text_of(message.get("mid"), 255)
    if not mid:
        return None
    if Message.objects.filter(channel=channel, external_id=mid).exists():
        return None
    key = text_of(message.get("metadata"), 100)
    try:
        ours = Message.objects.filter(channel=channel, idempotency_key=uuid.UUID(key)).first() if key else None
    except ValueError:
        ours = None
    if ours is not None:
        return delivery_record(message=ours, status=Status.SENT, external_id=mid)
    customer_id = _customer_id(channel, text_of(as_dict(item.get("recipient")).get("id"), 100))
    ticket = (
        Ticket.objects.filter(customer_id=customer_id, channel=channel, status__in=Ticket.ACTIVE_STATUSES)
        .order_by("-updated_at")
        .first()
        if customer_id
        else None
    )
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    if ticket is None or not text.strip():
        return None
    try:
        sent = reply_create(
            ticket=ticket,
            author=None,
            text=text,
            channel=channel,
            sent_by_channel=True,
            idempotency_key=uuid.uuid5(uuid.NAMESPACE_URL, f"{channel}:{mid}"),
            metadata={"meta": {"echo": True, "app_id": text_of(message.get("app_id"), 40)}},
        )
    except ReplyError:
        return None
    return delivery_record(message=sent, status=Status.SENT, external_id=mid)


def _outbound(channel: str, user_id: str):
    customer_id = _customer_id(channel, user_id)
    return Message.objects.filter(customer_id=customer_id, channel=channel, direction=Direction.OUT).exclude(
        external_id__isnull=True
    )


def meta_receipt_record(*, channel: str, item: dict, read: bool) -> int:
    """A delivery or read receipt: the messages it names by mid, or all sent up to its
    watermark. Returns how many messages moved on (statuses only move forward)."""
    receipt = as_dict(item.get("read" if read else "delivery"))
    user_id = text_of(as_dict(item.get("sender")).get("id"), 100)
    mids = (
        [text_of(mid, 255) for mid in receipt.get("mids") or [] if mid] if isinstance(receipt.get("mids"), list) else []
    )
    if receipt.get("mid"):
        mids.append(text_of(receipt.get("mid"), 255))
    watermark = event_time(receipt.get("watermark"))
    if not mids and watermark is None:
        return 0
    condition = Q(external_id__in=mids) if mids else Q(created_at__lte=watermark + timedelta(seconds=1))
    status = Status.READ if read else Status.DELIVERED
    moved = 0
    targets = _outbound(channel, user_id).filter(condition).exclude(delivery_status__in=[status, Status.READ])
    for message in targets.order_by("-created_at")[:_RECEIPT_SCAN]:
        delivery_record(message=message, status=status)
        moved += 1
    return moved
