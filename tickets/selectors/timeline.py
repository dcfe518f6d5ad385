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


def customer_timeline_page(*, customer_id: int, cursor: str = "", size: int) -> KeysetPage:
    """The `size` messages before `cursor` (the newest without one), newest first, on
    the same index: one query for the messages and one for their attachments, on any page."""
    messages = _with_related(Message.objects.filter(customer_id=customer_id))
    return keyset_page(messages, keys=_NEWEST_FIRST, cursor=cursor, size=size)


def ticket_messages(*, ticket_id: int, include_notes: bool = True) -> QuerySet[Message]:
    """Oldest first, as a conversation reads."""
    messages = Message.objects.filter(ticket_id=ticket_id)
    if not include_notes:
        messages = messages.exclude(direction="note")
    return _with_related(messages).order_by("created_at", "id")
