"""Outbound replies and internal notes: the one way out.

A reply is stored, then a Celery task delivers it through the channel's sender;
delivery status lands on the Message. A reply that the channel sends itself (the
answer to an SMS keyword, in the webhook's TwiML) is stored as handed over instead."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import events
from tickets.models import Channel, Direction, Message, Ticket, TicketActivity
from tickets.services.escalation_events import escalation_enqueue
from tickets.services.sanitize import sanitize_html, strip_control_chars
from tickets.services.sla import first_response_business_seconds


class ReplyError(ValueError):
    pass


def default_reply_channel(ticket: Ticket) -> str:
    """The channel of the customer's last inbound message, else the ticket's own.
    A message that asked to be answered elsewhere (a chat left while nobody was
    online says {"reply_channel": "email"} in its metadata) is answered there."""
    last = (
        Message.objects.filter(customer_id=ticket.customer_id, direction=Direction.IN, is_auto_reply=False)
        .order_by("-created_at", "-id")
        .values_list("channel", "metadata")
        .first()
    )
    if last is None:
        return ticket.channel
    channel, metadata = last
    wanted = (metadata or {}).get("reply_channel") if isinstance(metadata, dict) else None
    return wanted if wanted in Channel.values else channel


def _needs_approval(author) -> bool:
    profile = getattr(author, "agent_profile", None) if author is not None else None
    return bool(profile and profile.in_training)


def _record_first_response(ticket: Ticket, now) -> list[str]:
    ticket.agent_reply_count += 1
    ticket.last_agent_reply_at = now
    fields = ["agent_reply_count", "last_agent_reply_at"]
    if ticket.first_response_at is None and not ticket.agent_initiated and ticket.first_inbound_at:
        ticket.first_response_at = now
        ticket.first_response_s = max(0, int((now - ticket.first_inbound_at).total_seconds()))
        ticket.first_response_business_s = first_response_business_seconds(ticket=ticket, at=now)
        fields += ["first_response_at", "first_response_s", "first_response_business_s"]
    return fields


@transaction.atomic
def reply_create(
    *,
    ticket: Ticket,
    author,
    text: str,
    html: str = "",
    channel: str | None = None,
    is_note: bool = False,
    is_automatic: bool = False,
    metadata: dict | None = None,
    sent_by_channel: bool = False,
    idempotency_key: uuid.UUID | None = None,
) -> Message:
    """A public reply (delivered on `channel`, by default the customer's last one)
    or an internal note. Automatic messages never count as a response.

    `sent_by_channel`: the channel sends the reply itself, so it is not queued for
    the delivery task but stored as "sending", and the provider's status callbacks
    (which find it by its idempotency key) move it on. With `idempotency_key`, a
    repeated call returns the message the first one created."""
    text = strip_control_chars(text).strip()
    if not text and not html:
        raise ReplyError(_("a reply needs some text"))
    if not is_note and ticket.status == Ticket.Status.CLOSED:
        raise ReplyError(_("the ticket is closed; open a new ticket to write to the customer"))
    channel = channel or default_reply_channel(ticket)
    if channel not in Channel.values:
        raise ReplyError(_("unknown channel %(channel)r") % {"channel": channel})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    # Read under the ticket's lock: a concurrent repeat waits for the first to commit.
    existing = Message.objects.filter(idempotency_key=idempotency_key).first() if idempotency_key else None
    if existing is not None:
        return existing
    now = timezone.now()
    if is_note:
        direction, status = Direction.NOTE, Message.DeliveryStatus.NONE
    elif sent_by_channel:
        direction, status = Direction.OUT, Message.DeliveryStatus.SENDING
    elif not is_automatic and _needs_approval(author):
        direction, status = Direction.OUT, Message.DeliveryStatus.AWAITING_APPROVAL
    else:
        direction, status = Direction.OUT, Message.DeliveryStatus.QUEUED
    message = Message.objects.create(
        ticket=ticket,
        customer_id=ticket.customer_id,
        channel=channel,
        direction=direction,
        author=author,
        subject=ticket.subject,
        text=text,
        html=sanitize_html(html),
        is_automatic=is_automatic,
        delivery_status=status,
        metadata=metadata or {},
        idempotency_key=idempotency_key or uuid.uuid4(),
        created_at=now,
    )
    fields = ["updated_at"]
    ticket.updated_at = now
    if direction == Direction.OUT and not is_automatic and status != Message.DeliveryStatus.AWAITING_APPROVAL:
        fields += _record_first_response(ticket, now)
    if direction == Direction.OUT and ticket.status == Ticket.Status.NEW and not is_automatic:
        ticket.status = Ticket.Status.OPEN
        fields.append("status")
    ticket.save(update_fields=fields)
    events.publish_message_created(message)
    if status == Message.DeliveryStatus.QUEUED:
        _enqueue_delivery(message)
    if direction == Direction.OUT and not is_automatic:
        escalation_enqueue(ticket_id=ticket.pk, event="reply")
    return message


@transaction.atomic
def reply_approve(*, message: Message, approver) -> Message:
    """A supervisor lets a reply of an agent in training go out."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.delivery_status != Message.DeliveryStatus.AWAITING_APPROVAL:
        raise ReplyError(_("this reply is not waiting for approval"))
    ticket = Ticket.objects.select_for_update().get(pk=message.ticket_id)
    now = timezone.now()
    message.delivery_status = Message.DeliveryStatus.QUEUED
    message.save(update_fields=["delivery_status"])
    fields = _record_first_response(ticket, now)
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])
    TicketActivity.objects.create(
        ticket=ticket, kind=TicketActivity.Kind.APPROVAL, actor=approver, data={"message": message.pk}
    )
    events.publish_delivery_status(message)
    _enqueue_delivery(message)
    return message


def _enqueue_delivery(message: Message) -> None:
    from tickets.tasks import deliver_message

    message_id = message.pk
    transaction.on_commit(lambda: deliver_message.delay(message_id))
