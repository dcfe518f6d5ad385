"""Starting a conversation: a ticket the agent opens, with its first message out
on email, SMS, WhatsApp (a template, outside the 24-hour window) or any channel
that reaches the customer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.models import Channel, Customer, Ticket
from tickets.selectors.contacts import contact_find
from tickets.services import tickets as ticket_services
from tickets.services.customers import customer_resolve
from tickets.services.identities import InvalidAddress, normalize_address
from tickets.services.kpi_rollups import kpi_days_marked_once
from tickets.services.outbox import outbox_batch
from tickets.services.replies import (
    ReplyError,
    reply_channel_check,
    reply_create,
    reply_opening_counts,
    reply_text_check,
    reply_write,
)
from tickets.services.webhooks import webhook_subscriptions_read_once

# Twilio's Content API template ids: "HX" and 32 hex digits.
TEMPLATE_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
# Channels on which the helpdesk cannot speak first: the chat waits for a visitor.
NO_OUTBOUND_START = frozenset({Channel.CHAT})


class ConversationError(ValueError):
    pass


def recipient_resolve(*, to: str) -> Customer:
    """The customer an agent means by "#123" or an address; a new address becomes a
    new customer, found again when they answer."""
    customer = contact_find(to)
    if customer is not None:
        return customer
    if to.strip().removeprefix("#").isdigit() and to.strip().startswith("#"):
        raise ConversationError(_("There is no customer %(number)s.") % {"number": to.strip()})
    try:
        normalize_address(to)
    except InvalidAddress as exc:
        raise ConversationError(str(exc)) from exc
    return customer_resolve(sender=to)


def start_channels() -> list[tuple[str, str]]:
    return [(value, label) for value, label in Channel.choices if value not in NO_OUTBOUND_START]


@transaction.atomic
def conversation_start(
    *,
    customer: Customer,
    channel: str,
    subject: str,
    text: str,
    author,
    attachments: Sequence[UploadedFile] = (),
    template_sid: str = "",
    template_variables: Sequence[str] = (),
) -> Ticket:
    """Opens the ticket (agent-initiated: it has no first response time) and queues
    its first message. A messaging channel keeps one open conversation per customer,
    so an agent is sent to the open one instead of starting a second."""
    if channel in NO_OUTBOUND_START or channel not in Channel.values:
        raise ConversationError(_("A conversation cannot be started on this channel."))
    if customer.merged_into_id:
        raise ConversationError(_("This customer was merged into another; write to that one."))
    if template_sid and not TEMPLATE_SID.match(template_sid):
        raise ConversationError(_("A WhatsApp template id looks like HX followed by 32 letters and digits."))
    if channel != Channel.EMAIL:
        open_ticket = (
            Ticket.objects.filter(customer=customer, channel=channel, status__in=Ticket.ACTIVE_STATUSES)
            .order_by("-updated_at")
            .first()
        )
        if open_ticket is not None:
            raise ConversationError(
                _("%(customer)s already has an open conversation on this channel: %(ticket)s.")
                % {"customer": customer, "ticket": open_ticket.reference}
            )
    probe = Ticket(customer=customer, channel=channel)
    try:
        reply_channel_check(ticket=probe, channel=channel)
    except ReplyError as exc:
        raise ConversationError(str(exc)) from exc
    subject = subject.strip() or text.strip().split("\n", 1)[0][:80]
    ticket = ticket_services.ticket_create(customer=customer, subject=subject, channel=channel, actor=author)
    metadata = {}
    if template_sid:
        metadata = {
            "content_sid": template_sid,
            "content_variables": {str(n): value for n, value in enumerate(template_variables, start=1)},
        }
    try:
        reply_create(
            ticket=ticket, author=author, text=text, channel=channel, attachments=attachments, metadata=metadata
        )
    except ReplyError as exc:
        raise ConversationError(str(exc)) from exc
    return ticket


def ticket_open(*, customer: Customer, subject: str, channel: str, actor, text: str = "", **fields) -> Ticket:
    """A ticket an agent opens through the API, with its first message when `text` is
    given: one transaction, so the ticket never exists without the message it was
    opened with. (`fields`: priority, team, assignee.) The returned instance is as
    stored, message counts included.

    Ticket and message are written at one instant and without savepoints of their
    own, the ticket stored with the reply counted and its search document with the
    message's words, the webhook subscriptions read once, the day marked stale once,
    and the outbox rows written in one INSERT: the API's busiest write costs half the
    statements of a create and a reply made apart."""
    # Refused before the transaction begins, so that the writes need no savepoint.
    return _ticket_open_write(
        customer=customer, subject=subject, channel=channel, actor=actor,
        text=reply_text_check(text=text) if text else "", **fields,
    )  # fmt: skip


# Inside a caller's transaction (an Idempotency-Key's claim), no savepoint of its own:
# nothing here recovers from an error, and an error rolls the caller's back with it.
@transaction.atomic(savepoint=False)
def _ticket_open_write(*, customer: Customer, subject: str, channel: str, actor, text: str, **fields) -> Ticket:
    with webhook_subscriptions_read_once(), kpi_days_marked_once(), outbox_batch():
        if not text:
            return ticket_services.ticket_insert(
                customer=customer, subject=subject, channel=channel, actor=actor, **fields
            )
        now = timezone.now()
        ticket = ticket_services.ticket_insert(
            customer=customer,
            subject=subject,
            channel=channel,
            actor=actor,
            at=now,
            first_message_text=text,
            first_reply_counts=reply_opening_counts(author=actor, at=now),
            **fields,
        )
        # Written in this transaction, so no one else can hold it: no lock to take.
        reply_write(ticket=ticket, author=actor, text=text, channel=channel, opens_ticket=True)
    return ticket
