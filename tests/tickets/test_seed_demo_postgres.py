"""`seed_demo` on PostgreSQL writes its bulk tickets with COPY: the same rows as
`bulk_create` writes, the demo logins beside them, and sequences that the
helpdesk's own inserts carry on from."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Q

from tickets.models import (
    ChatSessionLog,
    Customer,
    Direction,
    InboxCounter,
    Message,
    SLAPolicy,
    Survey,
    Ticket,
    TicketActivity,
    TicketSLA,
)
from tickets.services.demo import bulk
from tickets.services.demo.writers import CopyWriter, OrmWriter
from tickets.services.inbox_counters import inbox_counter_mismatches

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]


def _seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=io.StringIO(), no_showcase=True, **options)
    return out.getvalue()


def _snapshot() -> list[tuple]:
    tickets = Ticket.objects.order_by("pk").values_list(
        "subject", "status", "channel", "priority", "agent_reply_count", "first_response_s", "reopen_count"
    )
    texts = Message.objects.order_by("pk").values_list("text", "direction", "external_id", "idempotency_key")
    activities = TicketActivity.objects.order_by("pk").values_list("kind", "data")
    surveys = Survey.objects.order_by("ticket__subject", "ticket_id", "kind").values_list("kind", "score")
    normalized = [(re.sub(r"HD-\d+", "HD-n", text), *rest) for text, *rest in texts]
    return [list(tickets), normalized, list(activities), list(surveys), ChatSessionLog.objects.count()]


def _wipe() -> None:
    for model in (Survey, ChatSessionLog, Message, TicketActivity, TicketSLA, Ticket):
        model.objects.all().delete()
    Customer.objects.all().delete()


def test_copy_writes_the_rows_bulk_create_writes(roles, monkeypatch):
    output = _seed(tickets=120, seed=4, messages_per_ticket=6)
    assert isinstance(bulk.CopyWriter(batch_size=1), CopyWriter)
    for username in ("agent", "trainee", "malee", "james", "supervisor", "admin"):
        assert authenticate(username=username, password=username) is not None
        assert f"{username} / {username}" in output
    copied = _snapshot()

    _wipe()
    monkeypatch.setattr(bulk, "CopyWriter", OrmWriter)
    _seed(tickets=120, seed=4, messages_per_ticket=6)
    assert _snapshot() == copied


def test_the_copied_set_is_consistent_and_the_sequences_carry_on(roles):
    _seed(tickets=150, seed=6, messages_per_ticket=8, days=365, batch_size=25)
    tickets = Ticket.objects.annotate(
        n=Count("messages"),
        replies=Count(
            "messages",
            filter=Q(messages__direction=Direction.OUT, messages__is_automatic=False)
            & ~Q(messages__delivery_status=Message.DeliveryStatus.AWAITING_APPROVAL),
        ),
    )
    assert tickets.count() == 150
    assert all(t.n >= 1 and t.replies == t.agent_reply_count for t in tickets)
    assert not Message.objects.exclude(customer_id=F("ticket__customer_id")).exists()
    # A year of history: the oldest closed tickets reach back past 300 days.
    oldest = Ticket.objects.filter(status="closed").order_by("created_at").first()
    assert (Ticket.objects.order_by("-created_at").first().created_at - oldest.created_at).days > 300
    assert not Ticket.objects.filter(resolved_at__isnull=False, resolution_business_s__isnull=True).exists()
    # Every ticket on an SLA clock of the demo's policies; the late ones breached.
    assert TicketSLA.objects.count() == 150 and SLAPolicy.objects.count() == 4
    assert TicketSLA.objects.filter(first_response_breached_at__isnull=False).exists()
    assert not TicketSLA.objects.filter(ticket__agent_initiated=False, first_response_due_at__isnull=True).exists()
    # The inbox counts are exact and already folded: one counter row per combination in use.
    assert inbox_counter_mismatches() == []
    combinations = Ticket.objects.values_list("status", "channel", "priority", "assignee_id", "team_id").order_by().distinct()
    assert InboxCounter.objects.count() == combinations.count()

    # The ids came from the tables' sequences: the helpdesk's next rows do not collide.
    top = Ticket.objects.order_by("-pk").first()
    ticket = Ticket.objects.create(customer_id=top.customer_id, channel="email", subject="after the seed")
    message = Message.objects.create(ticket=ticket, customer_id=top.customer_id, channel="email", direction="in")
    assert ticket.pk > top.pk and message.pk > Message.objects.exclude(pk=message.pk).order_by("-pk").first().pk
