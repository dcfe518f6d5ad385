"""After a bulk load, the FCR facts are rebuilt by one statement that writes only the
tickets whose kept facts differ from the definition's: the rest keep their row
version (PostgreSQL's xmin), so a million-ticket seed does not rewrite the table."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tickets.models import Ticket
from tickets.services.kpi_facts import fcr_facts_stale
from tickets.services.kpi_facts_rebuild import fcr_facts_rebuild

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based rebuild is PostgreSQL's"),
]


def _versions() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, xmin::text FROM {Ticket._meta.db_table}")
        return dict(cursor.fetchall())


def test_the_rebuild_rewrites_only_the_tickets_whose_facts_differ(roles):
    call_command(
        "seed_demo", tickets=200, messages_per_ticket=5, seed=8, no_showcase=True, workers=1,
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    assert not fcr_facts_stale(Ticket.objects.all()).exists()
    one_reply = list(Ticket.objects.filter(agent_reply_count=1).values_list("pk", flat=True)[:3])
    resolved = list(Ticket.objects.filter(resolved_at__isnull=False).values_list("pk", flat=True)[:2])
    assert len(one_reply) == 3 and len(resolved) == 2
    Ticket.objects.filter(pk__in=one_reply).update(fcr_one_contact=False)
    Ticket.objects.filter(pk__in=resolved).update(repeat_contact_at=timezone.now())
    broken = set(one_reply) | set(resolved)
    before = _versions()

    assert fcr_facts_rebuild() == len(broken)

    assert not fcr_facts_stale(Ticket.objects.all()).exists()
    after = _versions()
    assert {pk for pk, version in after.items() if version != before[pk]} == broken
