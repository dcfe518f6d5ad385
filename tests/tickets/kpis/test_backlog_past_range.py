"""The backlog at the end of a range in the past: counted from the rollups and the end
day's tickets, never from every ticket since, and equal to counting the tickets."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from tickets.models import Customer, Ticket
from tickets.selectors.kpi_backlog import backlog_from_counts, backlog_from_tickets
from tickets.services.kpi_rollups import rebuild_kpi_rollups

BANGKOK = ZoneInfo("Asia/Bangkok")
END = datetime(2026, 11, 11, tzinfo=BANGKOK)  # the end of November 10, Bangkok time


def at(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BANGKOK)


@pytest.mark.django_db
def test_the_backlog_at_a_past_end_counts_what_was_open_then():
    customer = Customer.objects.create(name="Backlog")
    # (created, resolved, active at the end of November 10)
    history = [
        (at(1), None, True),
        (at(5), at(10, 12), False),  # resolved on the range's last day
        (at(10), None, True),  # created on the range's last day
        (at(20), at(5), False),  # imported: resolved before it was created, after the end
        (at(3), at(25), True),  # resolved after the end
        (at(22), None, False),  # created after the end
    ]
    for created, resolved, _ in history:
        ticket = Ticket.objects.create(customer=customer, channel="email", subject="t")
        status = Ticket.Status.RESOLVED if resolved else Ticket.Status.OPEN
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created, resolved_at=resolved, status=status)
    rebuild_kpi_rollups()
    expected = sum(active for *_, active in history)

    with CaptureQueriesContext(connection) as queries:
        from_counts = backlog_from_counts(
            ticket_filter=Q(), scope=Ticket.objects.all(), backlog_end=END, time_zone=BANGKOK
        )
    assert from_counts["end_of_range"] == expected == 3
    assert backlog_from_tickets(Ticket.objects.all(), backlog_end=END)["end_of_range"] == expected
    if connection.vendor == "postgresql":
        # Of the tickets created or resolved since the end, only the imported one is
        # read: the others are neither counted nor scanned.
        assert _ticket_rows_read(queries.captured_queries[-1]["sql"]) == 1


def _ticket_rows_read(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, rows = [plan[0]["Plan"]], 0
    while nodes:
        node = nodes.pop()
        if node.get("Relation Name") == "tickets_ticket":
            rows += node["Actual Rows"]
        nodes += node.get("Plans", [])
    return rows
