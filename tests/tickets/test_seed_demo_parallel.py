"""`seed_demo --workers N` on an empty PostgreSQL database: worker processes write the
batches with the tables' secondary indexes and constraints set aside, and write the
search documents as they go. What they leave must be what the row-by-row path and
the rebuilds would have left: the same indexes, the same derived data."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from tickets.models import Message, Ticket, TicketSearchDocument
from tickets.selectors.search import ticket_search
from tickets.services.inbox_counters import inbox_counter_mismatches
from tickets.services.kpi_rollups_check import kpi_rollups_differences
from tickets.services.search_documents import search_documents_rebuild

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the parallel load is PostgreSQL's"),
]

LOADED_TABLES = [
    "tickets_ticket",
    "tickets_message",
    "tickets_ticketactivity",
    "tickets_ticketsla",
    "tickets_ticket_tags",
    "tickets_attachment",
    "tickets_ticketsearchdocument",
    "tickets_survey",
    "tickets_chatsessionlog",
]


def _schema() -> tuple[list, list]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2",
            [LOADED_TABLES],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [LOADED_TABLES],
        )
        return indexes, cursor.fetchall()


def _documents() -> dict[int, tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ticket_id, customer_terms::text, message_terms::text FROM {TicketSearchDocument._meta.db_table}"
        )
        return {ticket_id: (customers, messages) for ticket_id, customers, messages in cursor.fetchall()}


def test_the_parallel_load_leaves_the_schema_and_the_derived_data_of_a_rebuild(roles):
    schema = _schema()
    call_command(
        "seed_demo", tickets=240, batch_size=50, workers=2, messages_per_ticket=6, days=365, seed=3, no_showcase=True,
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip

    assert Ticket.objects.count() == 240
    # Every index and constraint is back, exactly as the migrations made it, and validated.
    assert _schema() == schema
    # The documents the workers wrote are those a rebuild from the messages makes.
    written = _documents()
    assert len(written) == 240
    search_documents_rebuild()
    assert _documents() == written
    # The KPI facts, rollups and inbox counters agree with a recomputation from scratch.
    assert kpi_rollups_differences() == []
    assert inbox_counter_mismatches() == []
    # And search finds a bulk ticket by the order number its customer wrote.
    message = Message.objects.filter(direction="in", text__contains="#A").order_by("pk").first()
    order = re.search(r"#(A\d{5})", message.text).group(1)
    assert message.ticket in ticket_search(Ticket.objects.all(), order)
