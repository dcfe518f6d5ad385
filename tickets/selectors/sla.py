"""SLA state of tickets, for inbox views and badges: annotate any ticket queryset
with its due times and whether it is breached or at risk."""

from __future__ import annotations

from datetime import datetime

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from tickets.models import Ticket

ON_CLOCK = [Ticket.Status.NEW, Ticket.Status.OPEN]


def _breached() -> Q:
    return Q(sla__first_response_breached_at__isnull=False) | Q(sla__resolution_breached_at__isnull=False)


def _at_risk(now: datetime) -> Q:
    """On the clock, not breached, and past the warning time of a target still open."""
    first_response = Q(first_response_at__isnull=True, sla__first_response_warn_at__lte=now)
    resolution = Q(sla__resolution_warn_at__lte=now)
    return Q(status__in=ON_CLOCK) & ~_breached() & (first_response | resolution)


def ticket_sla_annotate(tickets: QuerySet[Ticket], *, now: datetime | None = None) -> QuerySet[Ticket]:
    """Adds sla_first_response_due, sla_resolution_due, sla_breached and sla_at_risk
    (one LEFT JOIN, no extra query)."""
    now = now or timezone.now()
    return tickets.annotate(
        sla_first_response_due=F("sla__first_response_due_at"),
        sla_resolution_due=F("sla__resolution_due_at"),
        sla_breached=Case(When(_breached(), then=Value(True)), default=Value(False), output_field=BooleanField()),
        sla_at_risk=Case(When(_at_risk(now), then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


def sla_at_risk_tickets(*, now: datetime | None = None, include_breached: bool = True) -> QuerySet[Ticket]:
    """Active tickets at risk of missing their SLA (and, by default, those that missed
    it while still open), the soonest due first."""
    now = now or timezone.now()
    condition = _at_risk(now)
    if include_breached:
        condition |= Q(status__in=Ticket.ACTIVE_STATUSES) & _breached()
    tickets = Ticket.objects.filter(condition).select_related("customer", "assignee", "team", "sla")
    return ticket_sla_annotate(tickets, now=now).order_by(
        F("sla__first_response_due_at").asc(nulls_last=True), F("sla__resolution_due_at").asc(nulls_last=True), "id"
    )


def sla_counts(*, now: datetime | None = None) -> dict[str, int]:
    """Active tickets breached and at risk, for a badge."""
    now = now or timezone.now()
    return Ticket.objects.filter(status__in=Ticket.ACTIVE_STATUSES).aggregate(
        breached=Count("pk", filter=_breached()), at_risk=Count("pk", filter=_at_risk(now))
    )
