import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import deliver, make_user
from tickets.models import AgentProfile, Notification, Role, Team, Ticket
from tickets.services.assignment import ticket_auto_assign, tickets_auto_assign
from tickets.services.presence import presence_connect
from tickets.services.tickets import ticket_assign


def online(username: str, *, capacity: int = 20, last_assigned_minutes_ago: int | None = None, team=None):
    user = make_user(username, roles=[Role.AGENT])
    profile = user.agent_profile
    profile.presence = AgentProfile.Presence.ONLINE
    profile.last_seen_at = timezone.now()
    profile.capacity = capacity
    if last_assigned_minutes_ago is not None:
        profile.last_assigned_at = timezone.now() - timedelta(minutes=last_assigned_minutes_ago)
    profile.save()
    if team is not None:
        profile.teams.add(team)
    return user


def new_ticket(n: int, **fields) -> Ticket:
    ticket = deliver("sms", f"+6681111{n:04d}", f"help {n}").ticket
    if fields:
        Ticket.objects.filter(pk=ticket.pk).update(**fields)
        ticket.refresh_from_db()
    return ticket


@pytest.mark.django_db
def test_the_longest_idle_online_agent_gets_the_ticket(roles):
    online("recent", last_assigned_minutes_ago=1)
    idle = online("idle", last_assigned_minutes_ago=30)
    assert ticket_auto_assign(ticket=new_ticket(1)) == idle
    # Now 'idle' was just assigned: the next goes to 'recent'.
    assert ticket_auto_assign(ticket=new_ticket(2)).username == "recent"
    assert Notification.objects.filter(user=idle, kind="assignment").count() == 1


@pytest.mark.django_db
def test_away_offline_and_silent_agents_get_nothing(roles):
    away = online("away")
    AgentProfile.objects.filter(user=away).update(presence=AgentProfile.Presence.AWAY)
    offline = online("offline")
    AgentProfile.objects.filter(user=offline).update(presence=AgentProfile.Presence.OFFLINE)
    silent = online("silent")  # says online, but its heartbeats stopped
    AgentProfile.objects.filter(user=silent).update(last_seen_at=timezone.now() - timedelta(minutes=10))
    ticket = new_ticket(1)
    assert ticket_auto_assign(ticket=ticket) is None
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.django_db
def test_capacity_counts_active_tickets_only(roles):
    full = online("full", capacity=1, last_assigned_minutes_ago=60)
    ticket_assign(ticket=new_ticket(1), assignee=full)
    room = online("room", capacity=1, last_assigned_minutes_ago=1)
    assert ticket_auto_assign(ticket=new_ticket(2)) == room
    assert ticket_auto_assign(ticket=new_ticket(3)) is None  # everyone is full
    # A resolved ticket frees a place.
    Ticket.objects.filter(assignee=full).update(status=Ticket.Status.RESOLVED)
    assert ticket_auto_assign(ticket=new_ticket(4)) == full


@pytest.mark.django_db
def test_a_team_ticket_goes_to_that_teams_agents(roles):
    billing = Team.objects.create(name="Billing")
    online("outsider", last_assigned_minutes_ago=600)
    member = online("member", last_assigned_minutes_ago=1, team=billing)
    assert ticket_auto_assign(ticket=new_ticket(1, team=billing)) == member


@pytest.mark.django_db
def test_assigned_or_closed_tickets_are_left_alone(roles, agent):
    online("free")
    ticket = new_ticket(1)
    ticket_assign(ticket=ticket, assignee=agent)
    assert ticket_auto_assign(ticket=ticket) is None
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent
    closed = new_ticket(2, status=Ticket.Status.CLOSED)
    assert ticket_auto_assign(ticket=closed) is None


@pytest.mark.django_db
def test_a_new_ticket_from_the_pipeline_is_assigned_after_commit(roles, django_capture_on_commit_callbacks):
    agent = online("ready")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = deliver("sms", "+66812345678", "first contact").ticket
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    # A follow-up on the same ticket queues nothing more.
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None)
    with django_capture_on_commit_callbacks(execute=True):
        deliver("sms", "+66812345678", "still there?")
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


@pytest.mark.django_db
def test_presence_connect_makes_an_agent_assignable(roles):
    user = make_user("joiner", roles=[Role.AGENT])
    assert ticket_auto_assign(ticket=new_ticket(1)) is None
    presence_connect(user_id=user.pk)
    assert ticket_auto_assign(ticket=new_ticket(2)) == user


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_assignments_never_exceed_capacity(roles):
    # The tickets come first: with nobody online, the pipeline's own assignment leaves them be.
    tickets = [new_ticket(n) for n in range(8)]
    agents = [online(f"a{n}", capacity=2) for n in range(2)]
    barrier = threading.Barrier(len(tickets))
    results: list = []
    errors: list = []

    def assign(ticket: Ticket) -> None:
        try:
            barrier.wait()
            results.append(ticket_auto_assign(ticket=ticket))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(ticket,)) for ticket in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(1 for r in results if r is not None) == 4
    for agent in agents:
        assert Ticket.objects.filter(assignee=agent).count() == 2
    assert Ticket.objects.filter(assignee__isnull=True).count() == 4


@pytest.mark.django_db
def test_a_batch_is_shared_round_robin_within_capacity_and_team(roles):
    # The tickets come first: with nobody online, the pipeline's own assignment leaves them be.
    billing = Team.objects.create(name="Billing")
    tickets = [new_ticket(n) for n in range(6)] + [new_ticket(6, team=billing)]
    first = online("first", capacity=2, last_assigned_minutes_ago=30)
    second = online("second", capacity=2, last_assigned_minutes_ago=20)
    member = online("member", capacity=1, last_assigned_minutes_ago=10, team=billing)

    assigned = tickets_auto_assign(tickets=tickets)

    # Round robin, longest idle first: first, second, member, first, second; then
    # only the billing member could take the billing ticket, and has no room left.
    names = [assigned[t.pk].username if t.pk in assigned else None for t in tickets]
    assert names == ["first", "second", "member", "first", "second", None, None]
    assert Ticket.objects.filter(assignee=first).count() == Ticket.objects.filter(assignee=second).count() == 2
    assert Notification.objects.filter(user=member, kind=Notification.Kind.ASSIGNMENT).count() == 1
    # Everyone is full now: a batch costs the same few statements however long it is.
    later = [new_ticket(n) for n in range(7, 17)]
    with CaptureQueriesContext(connection) as short_batch:
        assert tickets_auto_assign(tickets=later[:1]) == {}
    with CaptureQueriesContext(connection) as long_batch:
        assert tickets_auto_assign(tickets=tickets + later) == {}
    assert len(long_batch) == len(short_batch) <= 6
