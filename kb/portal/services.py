"""What the portal changes. A request or a reply from the portal is an inbound
message like any other: it goes through the one pipeline, tickets.services.ingest.

Channel: a portal request is recorded on the email channel when the customer has an
email address (agents' answers then reach them by email and show in the portal),
else on SMS when they are known by phone only, so that answers can reach them at
all. A reply continues its ticket on the ticket's channel; a live-chat ticket, whose
session is over, continues like a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from kb.services import deflection_submitted, deflection_suggestion_viewed
from tickets.inbound import InboundAttachment, InboundMessage
from tickets.models import Channel, ContactIdentity, Customer, InboundEvent, Message, Ticket
from tickets.services.ingest import ingest


class PortalSubmitError(Exception):
    """The pipeline could not take the message now; it is kept for replay."""


@dataclass(frozen=True)
class PortalSubmission:
    message: Message | None
    duplicate: bool

    @property
    def ticket(self) -> Ticket | None:
        return self.message.ticket if self.message else None


def portal_user_ensure(*, customer: Customer):
    """The Django user a customer signs in as, created on first sign-in. It has no
    usable password: the portal only signs in by link or code."""
    if customer.user_id:
        return customer.user
    User = get_user_model()
    with transaction.atomic():
        user = User(username=f"portal-customer-{customer.pk}-{uuid.uuid4().hex[:6]}", first_name=customer.name[:150])
        user.set_unusable_password()
        user.save()
        linked = Customer.objects.filter(pk=customer.pk, user__isnull=True).update(user=user)
    if not linked:  # a concurrent first sign-in linked another user; use that one
        user.delete()
        customer.refresh_from_db(fields=["user"])
        return customer.user
    customer.user = user
    return user


def portal_request_channel(*, customer: Customer) -> str:
    kinds = set(customer.identities.values_list("kind", flat=True))
    if ContactIdentity.Kind.EMAIL not in kinds and ContactIdentity.Kind.PHONE in kinds:
        return Channel.SMS
    return Channel.EMAIL


def _external_id(request_uuid: uuid.UUID) -> str:
    # The form's uuid, so that a double submit is the same message to the pipeline.
    return f"portal:{request_uuid}"


def _submit(msg: InboundMessage) -> PortalSubmission:
    result = ingest(msg)
    if result.status == InboundEvent.Status.DUPLICATE:
        existing = Message.objects.select_related("ticket").filter(channel=msg.channel, external_id=msg.external_id)
        if msg.customer_id is not None:
            existing = existing.filter(customer_id=msg.customer_id)
        return PortalSubmission(message=existing.first(), duplicate=True)
    if result.message is None:
        raise PortalSubmitError(result.event.pk)
    return PortalSubmission(message=result.message, duplicate=False)


def portal_request_submit(
    *,
    request_uuid: uuid.UUID,
    subject: str,
    text: str,
    attachments: list[InboundAttachment],
    language: str,
    customer: Customer | None = None,
    guest_name: str = "",
    guest_email: str = "",
    session_key: str = "",
) -> PortalSubmission:
    """A new request from a signed-in customer, or from a guest by name and email,
    which the pipeline treats like an email from that address. Suggested articles the
    visitor opened in this session count as not having deflected the request."""
    if customer is None and not guest_email:
        raise ValueError("a guest request needs an email address")
    msg = InboundMessage(
        channel=portal_request_channel(customer=customer) if customer else Channel.EMAIL,
        external_id=_external_id(request_uuid),
        sender="" if customer else guest_email,
        sender_name="" if customer else guest_name,
        customer_id=customer.pk if customer else None,
        subject=subject,
        text=text,
        attachments=attachments,
        language=language,
        metadata={"source": "portal"},
    )
    submission = _submit(msg)
    if submission.ticket is not None and not submission.duplicate:
        deflection_submitted(session_key=session_key, ticket_id=submission.ticket.pk)
    return submission


def portal_suggestion_opened(*, session_key: str, article_id: int, query: str) -> None:
    """The visitor opened a suggested article while writing; if they then send nothing,
    kb's deflection sweep counts the contact as deflected."""
    deflection_suggestion_viewed(session_key=session_key, article_id=article_id, query=query)


def portal_reply_create(
    *, customer: Customer, ticket: Ticket, request_uuid: uuid.UUID, text: str, attachments: list[InboundAttachment]
) -> PortalSubmission:
    if ticket.customer_id != customer.pk:
        raise PermissionError("not this customer's ticket")
    channel = ticket.channel if ticket.channel != Channel.CHAT else portal_request_channel(customer=customer)
    msg = InboundMessage(
        channel=channel,
        external_id=_external_id(request_uuid),
        sender="",
        customer_id=customer.pk,
        ticket_id=ticket.pk,
        subject=ticket.subject,
        text=text,
        attachments=attachments,
        metadata={"source": "portal"},
    )
    return _submit(msg)
