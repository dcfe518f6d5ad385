"""The customer's unified timeline: every message on every channel."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import Field, Prefetch, QuerySet
from django.db.models.expressions import RawSQL

from tickets.models import Attachment, Message
from tickets.selectors.keyset import Key, KeysetPage, keyset_page, keyset_query, keyset_result

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


def _attachment_rows() -> RawSQL:
    """A message's attachments in id order, as a JSON array of arrays of
    _ATTACHMENT_FIELDS: PostgreSQL reads them in the messages' statement."""
    columns = ", ".join(f'a."{Attachment._meta.get_field(name).column}"' for name in _ATTACHMENT_FIELDS)
    # psycopg decodes json itself: a field without a converter, not a JSONField.
    return RawSQL(
        f"""(SELECT coalesce(json_agg(json_build_array({columns}) ORDER BY a.id), '[]')
             FROM "{Attachment._meta.db_table}" a WHERE a.message_id = "{Message._meta.db_table}".id)""",
        [],
        output_field=Field(),
    )


def _entry_rows(messages: QuerySet[Message]) -> QuerySet:
    rows = messages.values(*_ENTRY_FIELDS)
    if connection.vendor == "postgresql":
        rows = rows.annotate(attachment_rows=_attachment_rows())
    return rows


def _with_attachments(rows: list[dict]) -> list[dict]:
    """Each row with its attachments (plain rows, in id order) under "attachments": from
    the rows' own statement on PostgreSQL, else in one more query."""
    if connection.vendor == "postgresql":
        for row in rows:
            row["attachments"] = [
                dict(zip(_ATTACHMENT_FIELDS, values, strict=True)) for values in row.pop("attachment_rows")
            ]
        return rows
    by_message: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    if by_message:
        attachments = Attachment.objects.filter(message_id__in=list(by_message)).order_by("id")
        for attachment in attachments.values(*_ATTACHMENT_FIELDS):
            by_message[attachment["message_id"]].append(attachment)
    for row in rows:
        row["attachments"] = by_message[row["id"]]
    return rows


# The ticket page opens on the latest messages; compiling their statement cost the ORM
# more CPU than PostgreSQL takes to run it, so it is compiled once per page size. The
# customer's id is its one parameter.
@cache
def _latest_entries_sql(size: int) -> str:
    rows = _entry_rows(Message.objects.filter(customer_id=0))
    sql, (_customer_id,) = keyset_query(rows, keys=_NEWEST_FIRST, size=size).query.sql_with_params()
    return sql


def _latest_entries(*, customer_id: int, size: int) -> list[dict]:
    """What keyset_query reads for the first page, as the same row values."""
    metadata = Message._meta.get_field("metadata")
    with connection.cursor() as cursor:
        cursor.execute(_latest_entries_sql(size), [customer_id])
        # The columns are named as .values() names them: every one has its alias.
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:
        row["metadata"] = metadata.from_db_value(row["metadata"], None, connection)
    return rows


def customer_timeline_page(*, customer_id: int, cursor: str = "", size: int) -> KeysetPage:
    """The `size` messages before `cursor` (the newest without one), newest first, as
    plain rows with their attachments, on the (customer, -created_at, -id) index: one
    query on PostgreSQL (two elsewhere), on any page."""
    if connection.vendor == "postgresql" and not cursor:
        page = keyset_result(_latest_entries(customer_id=customer_id, size=size), keys=_NEWEST_FIRST, size=size)
    else:
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
