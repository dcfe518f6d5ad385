"""The customer's privacy rights (PDPA/GDPR): a copy of their data, and erasure.

Erasure removes what the customer said and who they are, and keeps what happened:
tickets, their statuses and timestamps, message rows with their channel, direction
and time, survey scores. The KPIs (volumes, first response, resolution, FCR, CSAT)
therefore stay exactly what they were, computed over anonymous facts."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from tickets import events
from tickets.inbound import InboundMessage
from tickets.models import (
    Attachment,
    ContactIdentity,
    Customer,
    IdentityClaim,
    InboundEvent,
    Message,
    Notification,
    Ticket,
)
from tickets.models.surveys import Survey
from tickets.selectors.portal import portal_customer_messages, portal_ticket_list
from tickets.services.identities import InvalidAddress, normalize_address
from tickets.services.search_documents import search_documents_rebuild

logger = logging.getLogger(__name__)

ERASED_NAME = "Erased customer"
ERASED_SUBJECT = "(erased)"
ERASED_VISITOR_PREFIX = "erased:"
_CHUNK = 500


def erased_visitor_address(visitor: str) -> str:
    """What erasure keeps of a live-chat visitor id: its digest, as the address of a
    chat identity of the erased customer. The widget's signed token still names the
    old id, so the chat can recognise that token and refuse it, instead of re-creating
    the customer from the name and addresses inside it. The id is 128 random bits,
    so an unkeyed digest cannot be reversed, and it survives a SECRET_KEY rotation."""
    return ERASED_VISITOR_PREFIX + hashlib.sha256(visitor.encode()).hexdigest()


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def customer_export(*, customer: Customer) -> dict:
    """Everything the customer can see about themselves, as plain JSON-ready data:
    profile, addresses, tickets with the public conversation, attachment details and
    survey answers. Internal notes of the staff are not part of the conversation
    the customer sees, and are not exported. A fixed number of queries."""
    tickets = list(portal_ticket_list(customer=customer))
    messages_by_ticket: dict[int, list[dict]] = {ticket.pk: [] for ticket in tickets}
    for message in portal_customer_messages(customer=customer):
        author = message.author
        messages_by_ticket.setdefault(message.ticket_id, []).append(
            {
                "id": message.pk,
                "channel": message.channel,
                "direction": message.direction,
                "from": "customer"
                if message.direction == "in"
                else (author.get_full_name() or author.get_username())
                if author
                else "support",
                "subject": message.subject,
                "text": message.text,
                "created_at": _iso(message.created_at),
                "attachments": [
                    {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                    for a in message.attachments.all()
                ],
            }
        )
    surveys = Survey.objects.filter(customer=customer).order_by("created_at")
    return {
        "exported_at": _iso(timezone.now()),
        "customer": {
            "id": customer.pk,
            "name": customer.name,
            "language": customer.language,
            "tier": customer.tier,
            "created_at": _iso(customer.created_at),
            "last_contact_at": _iso(customer.last_inbound_at),
        },
        "identities": [
            {
                "kind": identity.kind,
                "address": identity.address,
                "verified": identity.verified,
                "created_at": _iso(identity.created_at),
            }
            for identity in customer.identities.order_by("created_at", "id")
        ],
        "tickets": [
            {
                "id": ticket.pk,
                "reference": ticket.reference,
                "subject": ticket.subject,
                "channel": ticket.channel,
                "status": ticket.status,
                "created_at": _iso(ticket.created_at),
                "updated_at": _iso(ticket.updated_at),
                "resolved_at": _iso(ticket.resolved_at),
                "messages": messages_by_ticket.get(ticket.pk, []),
            }
            for ticket in tickets
        ],
        "surveys": [
            {
                "ticket": survey.ticket_id,
                "kind": survey.kind,
                "status": survey.status,
                "scale": [survey.scale_min, survey.scale_max],
                "score": survey.score,
                "comment": survey.comment,
                "sent_at": _iso(survey.created_at),
                "answered_at": _iso(survey.answered_at),
            }
            for survey in surveys
        ],
    }


@dataclass(frozen=True)
class ErasureResult:
    customer_id: int
    messages: int
    attachments: int
    # Deleted, or for a chat visitor id reduced to its digest.
    identities: int
    events: int
    first_erasure: bool


def _customer_ids(customer: Customer) -> list[int]:
    """The customer and every customer merged into it, at any depth."""
    ids, frontier = [customer.pk], [customer.pk]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier).exclude(pk__in=ids).values_list("pk", flat=True)
        )
        ids += frontier
    return ids


def _events_of(*, customer_ids: list[int], messages, addresses: set[str]) -> set[int]:
    """Raw events that carry the customer's words: those their messages came from,
    redeliveries of the same provider ids, portal events naming the customer, and
    events that never became a message (failed, ignored) sent from their addresses."""
    event_ids: set[int] = set()
    pairs: set[tuple[str, str]] = set()
    for event_id, channel, external_id in messages.values_list("event_id", "channel", "external_id"):
        if event_id:
            event_ids.add(event_id)
        if external_id:
            pairs.add((channel, external_id))
    pair_list = sorted(pairs)
    for start in range(0, len(pair_list), _CHUNK):
        chunk = pair_list[start : start + _CHUNK]
        candidates = InboundEvent.objects.filter(external_id__in=[ext for _, ext in chunk]).values_list(
            "pk", "channel", "external_id"
        )
        event_ids.update(pk for pk, channel, ext in candidates if (channel, ext) in pairs)
    event_ids.update(InboundEvent.objects.filter(payload__customer_id__in=customer_ids).values_list("pk", flat=True))
    unprocessed = InboundEvent.objects.exclude(
        status__in=[InboundEvent.Status.PROCESSED, InboundEvent.Status.DUPLICATE]
    ).exclude(pk__in=event_ids)
    for event in unprocessed.only("pk", "payload").iterator(chunk_size=_CHUNK):
        sender = (event.payload or {}).get("sender") or ""
        try:
            if sender and normalize_address(sender).address in addresses:
                event_ids.add(event.pk)
        except InvalidAddress:
            continue
    return event_ids


@transaction.atomic
def customer_erase(*, customer: Customer, actor) -> ErasureResult:
    """Erases a customer on their request. Running it again changes nothing new."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    first_erasure = customer.erased_at is None
    customer_ids = _customer_ids(customer)
    identities = ContactIdentity.objects.filter(customer_id__in=customer_ids).exclude(
        kind=ContactIdentity.Kind.CHAT, address__startswith=ERASED_VISITOR_PREFIX
    )
    addresses = set(identities.values_list("address", flat=True))
    messages = Message.objects.filter(customer_id__in=customer_ids)

    event_ids = _events_of(customer_ids=customer_ids, messages=messages, addresses=addresses)
    scrubbed = InboundMessage(channel="", external_id="", sender="").to_payload() | {"erased": True}
    ordered_event_ids = sorted(event_ids)
    for start in range(0, len(ordered_event_ids), _CHUNK):
        chunk = InboundEvent.objects.filter(pk__in=ordered_event_ids[start : start + _CHUNK])
        chunk.update(payload=scrubbed, raw=None, error="")
        # An erased event has nothing left to replay.
        chunk.filter(status__in=[InboundEvent.Status.FAILED, InboundEvent.Status.RECEIVED]).update(
            status=InboundEvent.Status.IGNORED
        )

    attachments = Attachment.objects.filter(message__customer_id__in=customer_ids)
    file_names = [name for name in attachments.values_list("file", flat=True) if name]
    for name in file_names:
        default_storage.delete(name)
    attachment_count, _ = attachments.delete()

    message_count = messages.update(text="", html="", subject="", metadata={"erased": True}, delivery_error="")
    Ticket.objects.filter(customer_id__in=customer_ids).update(subject=ERASED_SUBJECT)
    # Agents' notifications quote notes and subjects of the customer's tickets.
    Notification.objects.filter(ticket__customer_id__in=customer_ids).update(text=ERASED_SUBJECT)
    Survey.objects.filter(customer_id__in=customer_ids).update(comment="")
    # The addresses a chat visitor only claimed are personal data too.
    IdentityClaim.objects.filter(customer_id__in=customer_ids).delete()
    visitors = []
    for identity in identities.filter(kind=ContactIdentity.Kind.CHAT).only("pk", "address"):
        digest = erased_visitor_address(identity.address)
        ContactIdentity.objects.filter(pk=identity.pk).update(address=digest, lookup_key=digest, verified=False)
        visitors.append(identity.address)
    events.publish_chat_visitors_erased(visitors)
    visitor_count = len(visitors)
    deleted_count, _ = identities.exclude(kind=ContactIdentity.Kind.CHAT).delete()
    identity_count = deleted_count + visitor_count

    Customer.objects.filter(pk__in=customer_ids).update(name=ERASED_NAME, notes="", language="")
    user_ids = [uid for uid in Customer.objects.filter(pk__in=customer_ids).values_list("user_id", flat=True) if uid]
    User = get_user_model()
    for user in User.objects.filter(pk__in=user_ids):
        # Deactivated, the user's sessions no longer sign anyone in.
        user.is_active = False
        user.email = user.first_name = user.last_name = ""
        user.set_unusable_password()
        user.save(update_fields=["is_active", "email", "first_name", "last_name", "password"])
    # Nothing the customer said or was called stays findable by the console's search.
    search_documents_rebuild(ticket_ids=Ticket.objects.filter(customer_id__in=customer_ids).values_list("pk", flat=True))
    if first_erasure:
        Customer.objects.filter(pk=customer.pk).update(erased_at=timezone.now())
    logger.info(
        "customer %s erased by user %s (%s messages, %s attachments, %s identities, %s raw events)",
        customer.pk, getattr(actor, "pk", None), message_count, attachment_count, identity_count, len(event_ids),
    )  # fmt: skip
    return ErasureResult(
        customer_id=customer.pk,
        messages=message_count,
        attachments=attachment_count,
        identities=identity_count,
        events=len(event_ids),
        first_erasure=first_erasure,
    )
