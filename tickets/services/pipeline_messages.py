"""Step 5 of the inbound pipeline (tickets.services.pipeline) over a batch: the
messages, their sanitized HTML and their attachments, and what a message changes
of its ticket, its customer and the search documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile

from tickets.inbound import InboundAttachment
from tickets.models import Attachment, Customer, Direction, Message, Ticket
from tickets.services import surveys
from tickets.services.filenames import filename_clean
from tickets.services.kpi_facts import kpi_inbound_contacts
from tickets.services.message_keys import message_key
from tickets.services.rows_update import rows_update
from tickets.services.sanitize import html_to_text, sanitize_html
from tickets.services.search_documents import search_documents_append_many, search_documents_write
from tickets.services.tickets import ticket_set_status

if TYPE_CHECKING:
    from tickets.services.pipeline import Item


def messages_append(items: list[Item]) -> None:
    """Step 5 for the batch's items that go on: each one's message, the search
    documents, the contact facts, and the tickets and customers it touches."""
    for item in items:
        msg = item.msg
        item.message = Message(
            ticket=item.ticket,
            customer=item.customer,
            channel=msg.channel,
            direction=Direction.IN,
            subject=msg.subject,
            text=msg.text or html_to_text(msg.html),
            html=sanitize_html(msg.html),
            external_id=msg.external_id or None,
            is_auto_reply=msg.is_auto_reply,
            # Inbound and automatic: a survey answer, never a contact.
            is_automatic=item.survey is not None,
            event=item.event,
            metadata={**msg.metadata, "survey_answer": item.survey.pk} if item.survey is not None else msg.metadata,
            created_at=item.now,
            idempotency_key=message_key(),
        )
    Message.objects.bulk_create([item.message for item in items])
    for item in items:
        item.pending_media = _store_attachments(item.message, item.msg.attachments)
    # A ticket the batch opened gets its document whole, its messages' words in it; the
    # others get their new words appended.
    opened: dict[int, tuple[int, list[str]]] = {}
    texts: dict[int, list[str]] = {}
    for item in items:
        if item.ticket.pk in opened or item.opened_ticket:
            opened.setdefault(item.ticket.pk, (item.customer.pk, [item.ticket.subject]))[1].append(item.message.text)
        else:
            texts.setdefault(item.ticket.pk, []).append(item.message.text)
    if opened:
        search_documents_write([(ticket_id, customer_id, words) for ticket_id, (customer_id, words) in opened.items()])
    search_documents_append_many(texts)
    # Contacts are the repeat contacts of their customers' recently resolved tickets.
    kpi_inbound_contacts(
        [(item.customer.pk, item.now) for item in items if item.survey is None and not item.msg.is_auto_reply]
    )
    touched: dict[int, Ticket] = {}
    customers: dict[int, Customer] = {}
    for item in items:
        if item.survey is not None:
            surveys.survey_record_reply(survey=item.survey, message=item.message)
            continue
        if not item.opened_ticket:  # a new ticket was written with these already
            touched[item.ticket.pk] = _ticket_touch(item)
        if not item.msg.is_auto_reply:
            item.customer.last_inbound_at = item.now
            customers[item.customer.pk] = item.customer
    rows_update(list(touched.values()), ["updated_at", "last_inbound_at", "first_inbound_at"])
    rows_update(list(customers.values()), ["last_inbound_at"])


def _ticket_touch(item: Item) -> Ticket:
    ticket, now = item.ticket, item.now
    ticket.updated_at = now
    if item.msg.is_auto_reply:
        return ticket
    ticket.last_inbound_at = now
    ticket.first_inbound_at = ticket.first_inbound_at or now
    if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.PENDING):
        # The customer wrote again: a pending ticket is theirs to answer, a resolved one reopens.
        ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, reason="customer replied")
    return ticket


def _store_attachments(message: Message, attachments: list[InboundAttachment]) -> list[int]:
    """Stores the files through Django's storage API. Files a provider hosts are
    fetched after commit; their ids are returned."""
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    pending: list[int] = []
    dropped: list[str] = []
    for item in attachments:
        # Only the last path component: a name like "../../etc/passwd" is a name, not a path.
        filename = filename_clean(item.filename)
        content_type = (item.content_type or "application/octet-stream").lower()
        if item.content is None:
            if item.source_url:
                attachment = Attachment.objects.create(
                    message=message, filename=filename, content_type=content_type, source_url=item.source_url
                )
                pending.append(attachment.pk)
            continue
        if item.size > limit:
            dropped.append(f"{filename} ({item.size} bytes)")
            continue
        attachment = Attachment(
            message=message,
            filename=filename,
            content_type=content_type,
            size=item.size,
            content_id=item.content_id.strip("<>"),
            inline=item.inline,
        )
        attachment.file.save(filename, ContentFile(item.content), save=False)
        attachment.save()
    if dropped:
        message.metadata = {**message.metadata, "dropped_attachments": dropped}
        message.save(update_fields=["metadata"])
    return pending
