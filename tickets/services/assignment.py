"""Round-robin assignment of new tickets to the team's online agents.

The longest-idle agent (oldest last_assigned_at) with room under their capacity
gets the ticket. The candidate profiles are locked (SELECT ... FOR UPDATE, in a
fixed order so that workers never deadlock), so two workers assigning at the same
time see each other's assignments and never push an agent over capacity."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.models import AgentProfile, Notification, Ticket
from tickets.services.console import notifications_create
from tickets.services.presence import STALE_AFTER
from tickets.services.tickets import ticket_assign

User = get_user_model()


def _available_agents():
    now = timezone.now()
    return AgentProfile.objects.filter(
        presence=AgentProfile.Presence.ONLINE, last_seen_at__gte=now - STALE_AFTER, user__is_active=True
    )


def agents_available() -> bool:
    """Whether any agent could take a ticket now: when none can, a batch of new
    tickets skips asking ticket by ticket."""
    return _available_agents().exists()


def ticket_auto_assign(*, ticket: Ticket) -> User | None:
    """Assigns the ticket to the longest-idle online agent of its team with room
    left; does nothing to a ticket that has an assignee or is no longer active."""
    return tickets_auto_assign(tickets=[ticket]).get(ticket.pk)


@transaction.atomic
def tickets_auto_assign(*, tickets: list[Ticket]) -> dict[int, User]:
    """Assigns each ticket, in ticket order, as `ticket_auto_assign` would one by one,
    with the tickets, the candidates and their load read once for the whole batch.
    Returns the agent given to each ticket that got one."""
    if not tickets:
        return {}
    locked = list(
        Ticket.objects.select_for_update()
        .filter(pk__in=[t.pk for t in tickets], assignee_id__isnull=True, status__in=Ticket.ACTIVE_STATUSES)
        .order_by("pk")
    )
    if not locked:
        return {}
    # Locked in pk order, like every assignment, so that concurrent workers never deadlock.
    profiles = list(_available_agents().select_for_update(of=("self",)).order_by("pk"))
    if not profiles:
        return {}
    team_members = _team_members(profiles)
    # Counted after the locks are held: a concurrent assignment has committed by now.
    load = dict(
        Ticket.objects.filter(assignee_id__in=[p.user_id for p in profiles], status__in=Ticket.ACTIVE_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    now = timezone.now()
    chosen_for: dict[int, AgentProfile] = {}
    for position, ticket in enumerate(locked):
        with_room = [
            p
            for p in profiles
            if load.get(p.user_id, 0) < p.capacity and (ticket.team_id is None or p.pk in team_members[ticket.team_id])
        ]
        if not with_room:
            continue
        chosen = min(
            with_room,
            key=lambda p: (p.last_assigned_at is not None, p.last_assigned_at or now, load.get(p.user_id, 0), p.pk),
        )
        # A microsecond apart, so the order of the batch's assignments stays the round-robin order.
        chosen.last_assigned_at = now + timedelta(microseconds=position)
        load[chosen.user_id] = load.get(chosen.user_id, 0) + 1
        chosen_for[ticket.pk] = chosen
    return _assignments_apply(locked, chosen_for)


def _team_members(profiles: list[AgentProfile]) -> defaultdict[int, set[int]]:
    members: defaultdict[int, set[int]] = defaultdict(set)
    through = AgentProfile.teams.through.objects.filter(agentprofile_id__in=[p.pk for p in profiles])
    for profile_id, team_id in through.values_list("agentprofile_id", "team_id"):
        members[team_id].add(profile_id)
    return members


def _assignments_apply(tickets: list[Ticket], chosen_for: dict[int, AgentProfile]) -> dict[int, User]:
    picked = {p.pk: p for p in chosen_for.values()}
    AgentProfile.objects.bulk_update(list(picked.values()), ["last_assigned_at"])
    agents = User.objects.in_bulk([p.user_id for p in picked.values()])
    assigned: dict[int, User] = {}
    for ticket in tickets:
        if ticket.pk not in chosen_for:
            continue
        agent = agents[chosen_for[ticket.pk].user_id]
        ticket_assign(ticket=ticket, assignee=agent)
        notifications_create(
            users=[agent],
            ticket=ticket,
            kind=Notification.Kind.ASSIGNMENT,
            text=_("%(ticket)s was assigned to you: %(subject)s")
            % {"ticket": ticket.reference, "subject": ticket.subject},
        )
        assigned[ticket.pk] = agent
    return assigned
