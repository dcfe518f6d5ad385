"""The inbox counts: kept exact by the ticket table's triggers on PostgreSQL, whatever
writes the tickets, and equal to what the views list."""

import random
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from tests.factories import deliver, make_user
from tickets.models import Customer, InboxCounter, Role, Team, Ticket
from tickets.selectors.console import InboxQuery, inbox_tickets
from tickets.selectors.inbox_counts import CAP, count_label, inbox_counts, inbox_query_from_string
from tickets.services.customers import customer_merge
from tickets.services.inbox_counters import inbox_counter_mismatches, inbox_counters_fold
from tickets.services.saved_views import saved_view_save
from tickets.services.tickets import ticket_assign, ticket_set_priority, ticket_set_status

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="counters need PostgreSQL's triggers")


def _random_change(rng: random.Random, tickets: list[int], agents: list, teams: list[Team]) -> None:
    """One change as the helpdesk makes them: through a service, or a bulk UPDATE."""
    ticket = Ticket.objects.get(pk=rng.choice(tickets))
    kind = rng.randrange(5)
    if kind == 0:
        ticket_assign(ticket=ticket, assignee=rng.choice(agents), team=rng.choice(teams))
    elif kind == 1:
        target = rng.choice([Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.RESOLVED])
        try:
            ticket_set_status(ticket=ticket, status=target)
        except Exception:  # a transition the workflow refuses changes nothing
            pass
    elif kind == 2:
        ticket_set_priority(ticket=ticket, priority=rng.choice(Ticket.Priority.values))
    elif kind == 3:
        Ticket.objects.filter(pk__in=rng.sample(tickets, 3)).update(
            channel=rng.choice(["sms", "email", "line"]), assignee=None
        )
    else:
        Ticket.objects.filter(pk=ticket.pk).update(team=None, status=Ticket.Status.OPEN)


@pytest.fixture
def people(roles):
    agents = [make_user(f"counted{n}", roles=[Role.AGENT]) for n in range(3)]
    teams = [Team.objects.create(name=f"Team {n}") for n in range(2)]
    return agents, teams


@on_postgresql
def test_counters_equal_a_direct_count_after_random_changes_merges_and_deletions(people):
    agents, teams = people
    rng = random.Random(7)
    tickets = [deliver("sms", f"+6681100{n:04d}", f"hello {n}").ticket.pk for n in range(12)]
    for _ in range(60):
        _random_change(rng, tickets, agents, teams)
    source, target = Customer.objects.filter(tickets__pk__in=tickets[:2]).distinct()[:2]
    customer_merge(source=source, target=target)
    Ticket.objects.filter(pk=tickets[-1]).delete()
    assert inbox_counter_mismatches() == []
    assert InboxCounter.objects.count() > 0
    inbox_counters_fold()
    assert inbox_counter_mismatches() == []
    out = StringIO()
    call_command("rebuild_inbox_counters", "--check", stdout=out)
    assert "equal the tickets" in out.getvalue()


@on_postgresql
def test_the_check_finds_a_wrong_counter_and_the_rebuild_mends_it(people):
    deliver("sms", "+66811000001", "hello")
    InboxCounter.objects.create(status="open", channel="sms", priority=2, assignee_id=None, team_id=None, n=5)
    with pytest.raises(Exception, match="differ"):
        call_command("rebuild_inbox_counters", "--check", stdout=StringIO())
    call_command("rebuild_inbox_counters", stdout=StringIO())
    assert inbox_counter_mismatches() == []


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_counters_stay_exact_under_concurrent_writers(people):
    agents, teams = people
    tickets = [deliver("sms", f"+6681200{n:04d}", f"hello {n}").ticket.pk for n in range(10)]
    errors = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(25):
                with transaction.atomic():
                    _random_change(rng, tickets, agents, teams)
                if rng.random() < 0.2:
                    inbox_counters_fold()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Deadlocks between writers of the same tickets are PostgreSQL's to refuse; the
    # counters must be exact whatever committed.
    assert all("deadlock" in str(error) for error in errors), errors
    assert inbox_counter_mismatches() == []


def test_each_count_equals_what_its_view_lists(people, agent):
    agents, teams = people
    agent.agent_profile.teams.add(teams[0])
    tickets = [deliver("sms" if n % 2 else "email", f"c{n}@example.com" if n % 2 == 0 else f"+6681300{n:04d}", "hi").ticket for n in range(9)]
    for n, ticket in enumerate(tickets):
        if n % 3 == 0:
            ticket_assign(ticket=ticket, assignee=agent, team=teams[0])
        elif n % 3 == 1:
            ticket_assign(ticket=ticket, assignee=agents[0], team=teams[1])
    ticket_set_status(ticket=tickets[3], status=Ticket.Status.RESOLVED)
    ticket_set_priority(ticket=tickets[4], priority=Ticket.Priority.URGENT)
    queries = ["view=all&channel=email", "view=all&priority=4", "view=all&status=resolved", f"view=all&team={teams[1].pk}",
               "view=all&tag=none-here", "view=all&q=hi", "view=unassigned&channel=sms"]  # fmt: skip
    saved = [saved_view_save(user=agent, name=f"v{n}", query=q) for n, q in enumerate(queries)]
    counts = inbox_counts(user=agent, saved_views=saved)
    for key in ("mine", "unassigned", "team", "all", "sla_at_risk"):
        assert counts[key] == inbox_tickets(user=agent, inbox=InboxQuery(view=key)).count(), key
    for view in saved:
        expected = None if "q=" in view.query else inbox_tickets(user=agent, inbox=inbox_query_from_string(view.query)).count()
        assert counts[f"saved-{view.pk}"] == expected, view.query
    assert counts["mine"] == 2 and counts[f"saved-{saved[2].pk}"] == 1


def test_large_counts_read_as_capped():
    assert count_label(CAP) == "999+"
    assert count_label(CAP - 1) == "999"
    assert count_label(0) == "0"
    assert count_label(None) == ""
