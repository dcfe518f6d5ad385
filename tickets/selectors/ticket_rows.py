"""The ticket lists' rows as plain values: the inbox's and the API's pages read only
the columns they show, and their tags in the same query (on PostgreSQL) or in
one more for the whole page. Building
fifty model instances (with their customer, assignee, team and SLA) cost more than
writing the rows out."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef, QuerySet

from tickets.models import Ticket
from tickets.selectors.console import CLOCK_STAND_IN, InboxQuery, inbox_order, inbox_tickets
from tickets.selectors.inbox_statements import prepared_cursor, with_constants_written
from tickets.selectors.keyset import KeysetPage, keyset_query, keyset_result

# What an inbox row shows (tickets/console/inbox_rows.py writes it).
INBOX_ROW_FIELDS = (
    "id", "subject", "status", "priority", "channel", "updated_at", "first_response_at",
    "customer_id", "customer__name", "customer__tier",
    "assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name",
    "sla__first_response_due_at", "sla__resolution_due_at",
    "sla__first_response_breached_at", "sla__resolution_breached_at",
)  # fmt: skip

# What the API's ticket list gives for each ticket (tickets/api_ticket_rows.py writes it).
API_ROW_FIELDS = (
    "id", "subject", "status", "priority", "channel", "customer_id", "customer__name", "team__name",
    "assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name",
    "agent_initiated", "created_at", "updated_at", "first_inbound_at", "first_response_at",
    "first_response_s", "resolved_at", "resolution_s", "reopen_count",
)  # fmt: skip


def tag_names_by_ticket(ticket_ids: list[int]) -> dict[int, list[str]]:
    """Each ticket's tag names, in the order of the tags (by name), in one query."""
    names: dict[int, list[str]] = defaultdict(list)
    through = Ticket.tags.through.objects.filter(ticket_id__in=ticket_ids).order_by("tag__name")
    for ticket_id, name in through.values_list("ticket_id", "tag__name"):
        names[ticket_id].append(name)
    return names


def with_tag_names(rows: list[dict]) -> list[dict]:
    names = tag_names_by_ticket([row["id"] for row in rows]) if rows else {}
    for row in rows:
        row["tags"] = names.get(row["id"], [])
    return rows


def assignee_name(row: dict) -> str:
    """The assignee's full name, else their username, as User.get_full_name() would say it."""
    full_name = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
    return full_name or row["assignee__username"]


def ticket_row_values(tickets: QuerySet[Ticket], fields: tuple[str, ...]) -> QuerySet:
    """The tickets as dicts of `fields` (the tags are read by with_tag_names)."""
    return tickets.prefetch_related(None).values(*fields)


def row_values_with_tags(tickets: QuerySet[Ticket], fields: tuple[str, ...]) -> QuerySet:
    """The tickets as dicts of `fields` with their tags, which PostgreSQL reads in the
    rows' statement as an array by name: one statement and its round trip fewer a
    page. with_tags puts them under "tags"."""
    if connection.vendor != "postgresql":
        return ticket_row_values(tickets, fields)
    names = Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk")).order_by("tag__name").values("tag__name")
    # Not "tags", which names the model's field.
    return ticket_row_values(tickets, fields).annotate(tag_names=ArraySubquery(names))


def _inbox_row_values(tickets: QuerySet[Ticket]) -> QuerySet:
    return row_values_with_tags(tickets, INBOX_ROW_FIELDS)


def with_tags(rows: list[dict]) -> list[dict]:
    """Rows of row_values_with_tags with their tags under "tags"."""
    if connection.vendor != "postgresql":
        return with_tag_names(rows)
    for row in rows:
        row["tags"] = row.pop("tag_names")
    return rows


# Building a view's first page through the ORM cost 3 ms of CPU a page, more than
# PostgreSQL takes to answer it. Without a search (whose statement depends on what it
# finds) or a cursor, its text depends only on the agent and the view, so it is compiled
# once for each; the clock ("SLA at risk") is compiled as CLOCK_STAND_IN, which
# PostgreSQL's own clock replaces.
_STATEMENTS_KEPT = 1024
_first_pages: dict[tuple[int, str], str] = {}


def _first_page_rows(*, user, inbox: InboxQuery, size: int) -> list[dict]:
    key = (user.pk, repr((inbox, size)))
    statement = _first_pages.get(key)
    if statement is None:
        if len(_first_pages) >= _STATEMENTS_KEPT:
            _first_pages.clear()
        rows = _inbox_row_values(inbox_tickets(user=user, inbox=inbox, now=CLOCK_STAND_IN))
        query = keyset_query(rows, keys=inbox_order(inbox), size=size).query
        statement = _first_pages[key] = with_constants_written(*query.sql_with_params(), clock=CLOCK_STAND_IN)
    with prepared_cursor() as cursor:
        cursor.execute(statement, [])
        # The columns are named as .values() names them: every one has its alias.
        names = [column.name for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def inbox_rows_page(*, user, inbox: InboxQuery, cursor: str = "", size: int = 50) -> KeysetPage:
    """One page of an inbox view as row values, with their tags: what inbox_page reads,
    without the model instances. Raises InvalidCursor for a cursor not of ours."""
    keys = inbox_order(inbox)
    if connection.vendor == "postgresql" and not cursor and not inbox.query:
        page = _first_page_rows(user=user, inbox=inbox, size=size)
    else:
        page = list(
            keyset_query(_inbox_row_values(inbox_tickets(user=user, inbox=inbox)), keys=keys, cursor=cursor, size=size)
        )
    result = keyset_result(page, keys=keys, size=size)
    with_tags(result.rows)
    return result


def inbox_row(*, ticket_id: int) -> dict | None:
    """One ticket's inbox row, whatever its status; None if there is no such ticket."""
    rows = list(_inbox_row_values(Ticket.objects.filter(pk=ticket_id)))
    return with_tags(rows)[0] if rows else None
