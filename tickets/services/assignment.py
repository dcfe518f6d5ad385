"""Round-robin assignment of new tickets to the team's online agents.

The longest-idle agent (oldest last_assigned_at) with room under their capacity
gets the ticket. The candidate profiles are locked (SELECT ... FOR UPDATE, in a
fixed order so that workers never deadlock), so two workers assigning at the same
time see each other's assignments and never push an agent over capacity."""

from __future__ import annotations

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


@transaction.atomic
def ticket_auto_assign(*, ticket: Ticket) -> User | None:
    """Assigns the ticket to the longest-idle online agent of its team with room
    left; does nothing to a ticket that has an assignee or is no longer active."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.assignee_id is not None or ticket.status not in Ticket.ACTIVE_STATUSES:
        return None
    now = timezone.now()
    candidates = _available_agents()
    if ticket.team_id is not None:
        candidates = candidates.filter(teams=ticket.team_id)
    profiles = list(candidates.select_for_update(of=("self",)).order_by("pk"))
    if not profiles:
        return None
    # Counted after the locks are held: a concurrent assignment has committed by now.
    load = dict(
        Ticket.objects.filter(assignee_id__in=[p.user_id for p in profiles], status__in=Ticket.ACTIVE_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    with_room = [p for p in profiles if load.get(p.user_id, 0) < p.capacity]
    if not with_room:
        return None
    chosen = min(
        with_room,
        key=lambda p: (p.last_assigned_at is not None, p.last_assigned_at or now, load.get(p.user_id, 0), p.pk),
    )
    AgentProfile.objects.filter(pk=chosen.pk).update(last_assigned_at=now)
    agent = User.objects.get(pk=chosen.user_id)
    ticket_assign(ticket=ticket, assignee=agent)
    notifications_create(
        users=[agent],
        ticket=ticket,
        kind=Notification.Kind.ASSIGNMENT,
        text=_("%(ticket)s was assigned to you: %(subject)s") % {"ticket": ticket.reference, "subject": ticket.subject},
    )
    return agent
