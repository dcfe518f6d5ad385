"""The customer's unified timeline: every message on every channel."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from tickets.models import Attachment, Message
from tickets.selectors.keyset import Key, KeysetPage, keyset_page

_NEWEST_FIRST = [Key("created_at", descending=True, is_time=True), Key("id", descending=True)]


def _with_related(messages: QuerySet[Message]) -> QuerySet[Message]:
    attachments = Attachment.objects.only(
        "id", "message_id", "filename", "content_type", "size", "inline", "content_id", "file", "source_url"
    )
    return messages.select_related("author").prefetch_related(Prefetch("attachments", queryset=attachments))


def customer_timeline(*, customer_id: int, include_notes: bool = True) -> QuerySet[Message]:
    """Newest first. Served from the (customer, -created_at, -id) index, so any page
    costs the same: one query for the messages and one for their attachments."""
    messages = Message.objects.filter(customer_id=customer_id)
    if not include_notes:
        messages = messages.exclude(direction="note")
    return _with_related(messages).order_by("-created_at", "-id")


# What a timeline entry shows of a message, as plain rows: the ticket page renders 30
# of them, and model instances with a prefetch cost more than the rest of the page.
_ENTRY_FIELDS = (
    "id", "ticket_id", "channel", "direction", "subject", "text", "html", "is_automatic", "is_auto_reply",
    "created_at", "metadata", "delivery_status", "delivery_error", "delivery_error_code",
    "customer_id", "customer__name", "author_id", "author__username", "author__first_name", "author__last_name",
)  # fmt: skip
_ATTACHMENT_FIELDS = ("id", "message_id", "filename", "size", "inline", "content_id", "file")


def _entry_rows(messages: QuerySet[Message]) -> QuerySet:
    return messages.values(*_ENTRY_FIELDS)


def _with_attachments(rows: list[dict]) -> list[dict]:
    """Each row with its attachments (plain rows, in id order) under "attachments"; one query."""
    by_message: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    if by_message:
        attachments = Attachment.objects.filter(message_id__in=list(by_message)).order_by("id")
        for attachment in attachments.values(*_ATTACHMENT_FIELDS):
            by_message[attachment["message_id"]].append(attachment)
    for row in rows:
        row["attachments"] = by_message[row["id"]]
    return rows


def customer_timeline_page(*, customer_id: int, cursor: str = "", size: int) -> KeysetPage:
    """The `size` messages before `cursor` (the newest without one), newest first, as
    plain rows with their attachments, on the (customer, -created_at, -id) index: one
    query for the messages and one for their attachments, on any page."""
    rows = _entry_rows(Message.objects.filter(customer_id=customer_id))
    page = keyset_page(rows, keys=_NEWEST_FIRST, cursor=cursor, size=size)
    _with_attachments(page.rows)
    return page


def timeline_rows(*, message_ids: list[int]) -> list[dict]:
    """These messages as the timeline shows them (plain rows with their attachments),
    oldest first: the single entries the live page fetches."""
    rows = _entry_rows(Message.objects.filter(pk__in=message_ids)).order_by("created_at", "id")
    return _with_attachments(list(rows))


def ticket_messages(*, ticket_id: int, include_notes: bool = True) -> QuerySet[Message]:
    """Oldest first, as a conversation reads."""
    messages = Message.objects.filter(ticket_id=ticket_id)
    if not include_notes:
        messages = messages.exclude(direction="note")
    return _with_related(messages).order_by("created_at", "id")
