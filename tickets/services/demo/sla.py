"""SLA policies for the demo, and each bulk ticket's SLA clock as the services and
the breach sweep would have left it."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from tickets.models import SLAPolicy, Ticket, TicketSLA
from tickets.services.demo.rows import RowFactory
from tickets.services.sla import CalendarSpec, business_add, sla_targets

_new_sla = RowFactory(TicketSLA)
# The sweep records a breach only while the ticket is on the clock.
_ON_CLOCK = (Ticket.Status.NEW, Ticket.Status.OPEN)


def demo_sla_policies_ensure() -> None:
    """One policy per priority, on the targets the settings give, so that the SLA
    page has something to show and change; a helpdesk with policies keeps its own."""
    if SLAPolicy.objects.exists():
        return
    SLAPolicy.objects.bulk_create(
        SLAPolicy(name=str(label), priority=priority, first_response_minutes=first, resolution_minutes=resolution)
        for (priority, label), first, resolution in zip(
            Ticket.Priority.choices,
            settings.HELPDESK_SLA_FIRST_RESPONSE_MINUTES,
            settings.HELPDESK_SLA_RESOLUTION_MINUTES,
            strict=True,
        )
    )


class SlaClock:
    """Targets by priority, looked up once (the demo's customers on the policies that
    name no tier), and due times on the demo's calendar."""

    def __init__(self, *, calendar: CalendarSpec, now: datetime) -> None:
        self.calendar = calendar
        self.now = now
        self.ratio = settings.HELPDESK_SLA_AT_RISK_RATIO
        self.targets = {priority: sla_targets(priority=priority, tier="") for priority in Ticket.Priority.values}

    def row(self, ticket: Ticket) -> TicketSLA:
        targets = self.targets[ticket.priority]
        sla = _new_sla(
            policy_id=targets.policy.pk if targets.policy else None, calendar_id=self.calendar.calendar_id,
            first_response_target_s=targets.first_response_s, resolution_target_s=targets.resolution_s,
            updated_at=ticket.updated_at,
        )  # fmt: skip
        if not ticket.agent_initiated:
            start = ticket.first_inbound_at or ticket.created_at
            sla.first_response_due_at = business_add(self.calendar, start, targets.first_response_s)
            sla.first_response_warn_at = business_add(self.calendar, start, int(targets.first_response_s * self.ratio))
            sla.first_response_breached_at = self._breach(ticket, sla.first_response_due_at, ticket.first_response_at)
        sla.resolution_due_at = business_add(self.calendar, ticket.created_at, targets.resolution_s)
        sla.resolution_warn_at = business_add(self.calendar, ticket.created_at, int(targets.resolution_s * self.ratio))
        sla.resolution_breached_at = self._breach(ticket, sla.resolution_due_at, ticket.resolved_at)
        return sla

    def _breach(self, ticket: Ticket, due: datetime | None, done: datetime | None) -> datetime | None:
        """When the sweep found it late: done after the due time, or not done by now
        and still on the clock."""
        if due is None:
            return None
        if done is not None:
            return due if done > due else None
        return due if due <= self.now and ticket.status in _ON_CLOCK else None
