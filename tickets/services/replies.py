"""Outbound replies and internal notes: the one way out.

A reply is stored, then a Celery task delivers it through the channel's sender;
delivery status lands on the Message. A reply that the channel sends itself (the
answer to an SMS keyword, in the webhook's TwiML) is stored as handed over instead."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import events
from tickets.models import (
    Attachment,
    Channel,
    ContactIdentity,
    Direction,
    IdentityClaim,
    Message,
    Ticket,
    TicketActivity,
)
from tickets.services.escalation_events import escalation_enqueue
from tickets.services.filenames import filename_clean
from tickets.services.kpi_facts import fcr_facts_of_unresolved, ticket_fcr_facts_refresh
from tickets.services.kpi_rollups import kpi_days_mark
from tickets.services.message_keys import message_key
from tickets.services.outbox import outbox_batch
from tickets.services.reply_delivery import deliveries_enqueue
from tickets.services.sanitize import sanitize_html, strip_control_chars
from tickets.services.search_documents import search_document_append
from tickets.services.sla import first_response_business_seconds


class ReplyError(ValueError):
    pass


# The identity kinds through which a channel reaches a customer. A channel not
# listed needs an identity of its own name (line, messenger, instagram...), so a
# channel added to the enum is offered without a change here.
# Files on one reply, from the console or the API.
MAX_REPLY_ATTACHMENTS = 5

CHANNEL_ADDRESS_KINDS: dict[str, tuple[str, ...]] = {
    Channel.SMS: (ContactIdentity.Kind.PHONE,),
    Channel.WHATSAPP: (ContactIdentity.Kind.PHONE, ContactIdentity.Kind.WHATSAPP),
}


@dataclass(frozen=True)
class ChannelOption:
    value: str
    label: str
    reachable: bool
    reason: str = ""


def _unreachable_reason(channel: str, label: str) -> str:
    reasons = {
        Channel.EMAIL: _("No email address for this customer"),
        Channel.SMS: _("No phone number for this customer"),
        Channel.WHATSAPP: _("No WhatsApp number for this customer"),
        Channel.CHAT: _("This customer has never used the live chat"),
    }
    return reasons.get(channel) or _("No %(channel)s address for this customer") % {"channel": label}


def reply_channel_options(
    *, ticket: Ticket, identity_kinds: set[str] | None = None, claim_kinds: set[str] | None = None
) -> list[ChannelOption]:
    """Every channel, each reachable or not (with the reason) from the customer's
    addresses. `identity_kinds` and `claim_kinds` save the queries when the caller
    has them already."""
    if identity_kinds is None:
        identity_kinds = set(
            ContactIdentity.objects.filter(customer_id=ticket.customer_id).values_list("kind", flat=True)
        )
    # An address a chat visitor only claimed is still where they asked to be answered
    # (the offline form): sending there shows them nothing of anyone's.
    if claim_kinds is None:
        claim_kinds = set(IdentityClaim.objects.filter(customer_id=ticket.customer_id).values_list("kind", flat=True))
    identity_kinds = set(identity_kinds) | set(claim_kinds)
    options = []
    for value, label in Channel.choices:
        kinds = CHANNEL_ADDRESS_KINDS.get(value, (value,))
        reachable = bool(identity_kinds.intersection(kinds))
        options.append(
            ChannelOption(value, str(label), reachable, "" if reachable else _unreachable_reason(value, str(label)))
        )
    return options


def default_reply_channel(ticket: Ticket, *, options: list[ChannelOption] | None = None) -> str:
    """The channel of the customer's last inbound message on this ticket (the ticket's
    own channel before they wrote). A message that asked to be answered elsewhere (a
    chat left while nobody was online says {"reply_channel": "email"} in its metadata)
    is answered there. Their messages on other tickets don't move this ticket's
    replies: an email ticket is answered by email although they texted yesterday. A
    channel the customer has no address for gives way to the first one they have."""
    last = (
        Message.objects.filter(ticket_id=ticket.pk, direction=Direction.IN, is_auto_reply=False, is_automatic=False)
        .order_by("-created_at", "-id")
        .values_list("channel", "metadata")
        .first()
    )
    last_inbound = None
    if last is not None:
        last_channel, metadata = last
        last_inbound = (last_channel, metadata.get("reply_channel") if isinstance(metadata, dict) else None)
    return reply_channel_after(ticket_channel=ticket.channel, last_inbound=last_inbound, options=options)


def reply_channel_after(
    *, ticket_channel: str, last_inbound: tuple[str, str | None] | None, options: list[ChannelOption] | None = None
) -> str:
    """default_reply_channel's choice, from the channel of that last inbound message and
    the channel it asked for (None before the customer wrote): for a page that read them."""
    channel = ticket_channel
    if last_inbound is not None:
        last_channel, wanted = last_inbound
        channel = wanted if wanted in Channel.values else last_channel or ticket_channel
    if options is None:
        return channel
    reachable = [option.value for option in options if option.reachable]
    return channel if channel in reachable or not reachable else reachable[0]


def reply_channel_check(*, ticket: Ticket, channel: str, options: list[ChannelOption] | None = None) -> None:
    """Refuses a channel the customer cannot be reached on, with the reason."""
    for option in options if options is not None else reply_channel_options(ticket=ticket):
        if option.value == channel and not option.reachable:
            raise ReplyError(option.reason)


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


def reply_opening_counts(*, author, at: datetime) -> dict[str, Any]:
    """What an agent's reply that opens a ticket (reply_write(..., opens_ticket=True))
    sets on it, for the ticket's INSERT to store at once: the reply counted, unless it
    waits for a supervisor's approval. The ticket is agent-initiated: no first response."""
    ticket = Ticket(agent_initiated=True)
    fields = [] if _needs_approval(author) else _record_first_response(ticket, at)
    fields += fcr_facts_of_unresolved(ticket)
    return {name: getattr(ticket, name) for name in fields}


def reply_text_check(*, text: str, html: str = "", attachments: Sequence[UploadedFile] = ()) -> str:
    """The reply's text as stored (control characters and edge spaces gone); raises
    ReplyError for a reply with nothing in it."""
    text = strip_control_chars(text).strip()
    if not text and not html and not attachments:
        raise ReplyError(_("a reply needs some text"))
    return text


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
    attachments: Sequence[UploadedFile] = (),
) -> Message:
    """A public reply (delivered on `channel`, by default the customer's last one)
    or an internal note. Automatic messages never count as a response.

    `sent_by_channel`: the channel sends the reply itself, so it is not queued for
    the delivery task but stored as "sending", and the provider's status callbacks
    (which find it by its idempotency key) move it on. With `idempotency_key`, a
    repeated call returns the message the first one created."""
    text = reply_text_check(text=text, html=html, attachments=attachments)
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
    # Its delivery and escalation check in one outbox INSERT.
    with outbox_batch():
        return reply_write(
            ticket=ticket,
            author=author,
            text=text,
            html=html,
            channel=channel,
            is_note=is_note,
            is_automatic=is_automatic,
            metadata=metadata,
            sent_by_channel=sent_by_channel,
            idempotency_key=idempotency_key,
            attachments=attachments,
        )


def reply_write(
    *,
    ticket: Ticket,
    author,
    text: str,
    channel: str,
    html: str = "",
    is_note: bool = False,
    is_automatic: bool = False,
    metadata: dict | None = None,
    sent_by_channel: bool = False,
    idempotency_key: uuid.UUID | None = None,
    attachments: Sequence[UploadedFile] = (),
    opens_ticket: bool = False,
) -> Message:
    """reply_create's writes, inside the caller's transaction, on a ticket the caller
    holds (locked, or written in this same transaction) and whose instance it keeps
    up to date; `text` checked by reply_text_check and `channel` valid.

    `opens_ticket`: the message a ticket is opened with (tickets.services.outbound.
    ticket_open), at the ticket's own instant; the ticket was stored with this reply
    counted (reply_opening_counts, its FCR facts too) and its words in its search
    document, so nothing of the ticket is left to write."""
    now = ticket.created_at if opens_ticket else timezone.now()
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
        idempotency_key=idempotency_key or message_key(),
        created_at=now,
    )
    stored = [_attachment_store(message=message, upload=upload) for upload in attachments]
    _attachments_known(message, stored)
    if not opens_ticket:
        search_document_append(ticket_id=ticket.pk, text=text)
        fields = ["updated_at"]
        ticket.updated_at = now
        if direction == Direction.OUT and not is_automatic and status != Message.DeliveryStatus.AWAITING_APPROVAL:
            fields += _record_first_response(ticket, now)
        if direction == Direction.OUT and ticket.status == Ticket.Status.NEW and not is_automatic:
            ticket.status = Ticket.Status.OPEN
            fields.append("status")
        counted = direction == Direction.OUT and not is_automatic
        if counted and ticket.resolved_at is None:
            # The FCR facts that the reply count decides, saved with it.
            fields += fcr_facts_of_unresolved(ticket)
        ticket.save(update_fields=fields)
        if counted and ticket.resolved_at is not None:
            ticket_fcr_facts_refresh(ticket_ids=[ticket.pk])
    if direction == Direction.OUT and not is_automatic:
        # The day's reply count.
        kpi_days_mark([now])
    events.publish_message_created(message)
    if status == Message.DeliveryStatus.QUEUED:
        deliveries_enqueue([message])
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
    ticket_fcr_facts_refresh(ticket_ids=[ticket.pk])
    TicketActivity.objects.create(
        ticket=ticket, kind=TicketActivity.Kind.APPROVAL, actor=approver, data={"message": message.pk}
    )
    events.publish_delivery_status(message)
    deliveries_enqueue([message])
    return message


def attachments_check(uploads: Sequence[UploadedFile]) -> list[UploadedFile]:
    """The files of one reply, as the console and the API accept them: at most
    MAX_REPLY_ATTACHMENTS, each within HELPDESK_MAX_ATTACHMENT_BYTES. Raises ReplyError."""
    files = [upload for upload in uploads if upload]
    if len(files) > MAX_REPLY_ATTACHMENTS:
        raise ReplyError(_("Attach at most %(count)s files.") % {"count": MAX_REPLY_ATTACHMENTS})
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    for upload in files:
        if upload.size > limit:
            raise ReplyError(_("%(name)s is too large (at most %(mb)s MB).") % {"name": upload.name, "mb": limit // 1_048_576})
    return files


def _attachments_known(message: Message, attachments: list[Attachment]) -> None:
    """The message's attachments, as prefetch_related would leave them: the message as
    written answers without being read back (the API's reply)."""
    known = Attachment.objects.filter(message=message) if attachments else Attachment.objects.none()
    known._result_cache, known._prefetch_done = attachments, True
    message._prefetched_objects_cache = {"attachments": known}


def _attachment_store(*, message: Message, upload: UploadedFile) -> Attachment:
    filename = filename_clean(upload.name or "")
    attachment = Attachment(
        message=message,
        filename=filename,
        content_type=(upload.content_type or "application/octet-stream").lower()[:150],
        size=upload.size or 0,
    )
    attachment.file.save(filename, upload, save=False)
    attachment.save()
    return attachment
