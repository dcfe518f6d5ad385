"""The ticket list behind the console's inbox and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from tickets.models import Ticket


@dataclass(frozen=True, kw_only=True)
class TicketFilters:
    status: list[str] | None = None
    channel: list[str] | None = None
    priority: list[int] | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    tag: str = ""
    customer_id: int | None = None
    query: str = ""


def ticket_list(*, filters: TicketFilters | None = None) -> QuerySet[Ticket]:
    """Most recently updated first, with everything a row shows in a constant
    number of queries (the page, and one for the tags)."""
    filters = filters or TicketFilters()
    tickets = Ticket.objects.select_related("customer", "assignee", "team").prefetch_related("tags")
    if filters.status:
        tickets = tickets.filter(status__in=filters.status)
    if filters.channel:
        tickets = tickets.filter(channel__in=filters.channel)
    if filters.priority:
        tickets = tickets.filter(priority__in=filters.priority)
    if filters.team_id is not None:
        tickets = tickets.filter(team_id=filters.team_id)
    if filters.unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee_id is not None:
        tickets = tickets.filter(assignee_id=filters.assignee_id)
    if filters.tag:
        tickets = tickets.filter(tags__name=filters.tag)
    if filters.customer_id is not None:
        tickets = tickets.filter(customer_id=filters.customer_id)
    if filters.query:
        query = filters.query.strip()
        condition = Q(subject__icontains=query) | Q(customer__name__icontains=query)
        if query.isdigit():
            condition |= Q(pk=int(query))
        tickets = tickets.filter(condition)
    return tickets.order_by("-updated_at", "-id")
