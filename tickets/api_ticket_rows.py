"""The API's ticket list, written from row values (tickets/selectors/ticket_rows.py):
what TicketSerializer gives for each ticket, without a serializer and its fields
run fifty times a page (about half of the page's CPU). The same JSON, key for key;
tests/tickets/test_ticket_lists_output.py holds it to that."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from tickets.selectors.ticket_rows import assignee_name


def _iso(value: datetime | None, zone) -> str | None:
    """A time as DRF's DateTimeField writes it: ISO 8601 in the current time zone, Z for UTC."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def ticket_list_items(rows: list[dict]) -> list[dict]:
    zone = timezone.get_current_timezone()
    customer_label = gettext("Customer #%(id)s")
    prefix = settings.HELPDESK_TICKET_PREFIX + "-"
    items = []
    for row in rows:
        assignee = None
        if row["assignee_id"] is not None:
            assignee = {"id": row["assignee_id"], "username": row["assignee__username"], "name": assignee_name(row)}
        items.append({
            "id": row["id"],
            "reference": prefix + str(row["id"]),
            "subject": row["subject"],
            "status": row["status"],
            "priority": row["priority"],
            "channel": row["channel"],
            "customer": {"id": row["customer_id"], "name": row["customer__name"] or customer_label % {"id": row["customer_id"]}},
            "team": row["team__name"],
            "assignee": assignee,
            "tags": row["tags"],
            "agent_initiated": row["agent_initiated"],
            "created_at": _iso(row["created_at"], zone),
            "updated_at": _iso(row["updated_at"], zone),
            "first_inbound_at": _iso(row["first_inbound_at"], zone),
            "first_response_at": _iso(row["first_response_at"], zone),
            "first_response_s": row["first_response_s"],
            "resolved_at": _iso(row["resolved_at"], zone),
            "resolution_s": row["resolution_s"],
            "reopen_count": row["reopen_count"],
        })  # fmt: skip
    return items
