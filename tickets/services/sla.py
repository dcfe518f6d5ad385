"""Business hours and the SLA clock.

Business time is counted on a team's calendar (weekly hours, holidays, time zone),
else on the default calendar, else on HELPDESK_BUSINESS_HOURS. The resolution
clock stands still while a ticket is pending (waiting on the customer): the
business seconds spent pending move its due time later."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import events
from tickets.models import (
    BusinessCalendar,
    Customer,
    Notification,
    SLAPolicy,
    Team,
    Ticket,
    TicketActivity,
    TicketSLA,
)

logger = logging.getLogger(__name__)

# Walking a calendar with no opening hours at all must end somewhere.
MAX_CALENDAR_DAYS = 3 * 366


@dataclass(frozen=True)
class CalendarSpec:
    """A calendar as plain values: what the arithmetic needs, loaded once."""

    time_zone: ZoneInfo
    # weekday (0 = Monday) -> opening intervals of that day
    weekly: dict[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    calendar_id: int | None = None


def _parse_hours(spec: str) -> tuple[tuple[time, time], ...]:
    opens, closes = spec.split("-")
    return ((time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())),)


def settings_calendar() -> CalendarSpec:
    """Monday to Friday on HELPDESK_BUSINESS_HOURS, in HELPDESK_BUSINESS_TIME_ZONE."""
    hours = _parse_hours(settings.HELPDESK_BUSINESS_HOURS)
    return CalendarSpec(
        time_zone=ZoneInfo(settings.HELPDESK_BUSINESS_TIME_ZONE), weekly={day: hours for day in range(5)}
    )


def calendar_spec(calendar: BusinessCalendar) -> CalendarSpec:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for hours in calendar.hours.all():
        weekly.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
    return CalendarSpec(
        time_zone=ZoneInfo(calendar.time_zone),
        weekly={day: tuple(sorted(intervals)) for day, intervals in weekly.items()},
        holidays=frozenset(calendar.holidays.values_list("date", flat=True)),
        calendar_id=calendar.pk,
    )


def calendar_for_team(team: Team | int | None) -> CalendarSpec:
    """The team's calendar, else the default one, else the settings' hours."""
    team_id = team.pk if isinstance(team, Team) else team
    calendars = BusinessCalendar.objects.prefetch_related("hours")
    calendar = None
    if team_id is not None:
        calendar = calendars.filter(teams=team_id).order_by("id").first()
    if calendar is None:
        calendar = calendars.filter(is_default=True).first()
    return calendar_spec(calendar) if calendar is not None else settings_calendar()


def _as_spec(calendar: CalendarSpec | BusinessCalendar | None) -> CalendarSpec:
    if calendar is None:
        return calendar_for_team(None)
    if isinstance(calendar, BusinessCalendar):
        return calendar_spec(calendar)
    return calendar


def _intervals(spec: CalendarSpec, day: date) -> list[tuple[datetime, datetime]]:
    if day in spec.holidays:
        return []
    return [
        (datetime.combine(day, opens, spec.time_zone), datetime.combine(day, closes, spec.time_zone))
        for opens, closes in spec.weekly.get(day.weekday(), ())
    ]


def business_seconds_between(
    calendar: CalendarSpec | BusinessCalendar | None, start: datetime, end: datetime
) -> int:
    """Seconds of opening hours between two moments."""
    spec = _as_spec(calendar)
    if end <= start:
        return 0
    day = start.astimezone(spec.time_zone).date()
    last = end.astimezone(spec.time_zone).date()
    total = 0.0
    while day <= last:
        for opens, closes in _intervals(spec, day):
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            if overlap > 0:
                total += overlap
        day += timedelta(days=1)
    return int(total)


def business_add(calendar: CalendarSpec | BusinessCalendar | None, start: datetime, seconds: int) -> datetime | None:
    """The moment `seconds` of opening hours after `start`; None for a calendar
    without opening hours."""
    spec = _as_spec(calendar)
    remaining = float(max(0, seconds))
    day = start.astimezone(spec.time_zone).date()
    for _day in range(MAX_CALENDAR_DAYS):
        for opens, closes in _intervals(spec, day):
            begin = max(opens, start)
            available = (closes - begin).total_seconds()
            if available <= 0:
                continue
            if remaining <= available:
                return (begin + timedelta(seconds=remaining)).astimezone(start.tzinfo)
            remaining -= available
        day += timedelta(days=1)
    return None


def is_business_hours(team: Team | int | None = None, at: datetime | None = None) -> bool:
    return calendar_is_open(calendar_for_team(team), at or timezone.now())


def calendar_is_open(spec: CalendarSpec, at: datetime) -> bool:
    local_day = at.astimezone(spec.time_zone).date()
    return any(opens <= at < closes for opens, closes in _intervals(spec, local_day))


@dataclass(frozen=True)
class SLATargets:
    policy: SLAPolicy | None
    first_response_s: int
    resolution_s: int


def sla_targets(*, priority: int, tier: str) -> SLATargets:
    """The most specific active policy: priority and tier, then priority, then tier,
    then one that names neither; else the settings' targets for the priority."""
    policies = SLAPolicy.objects.filter(
        Q(priority=priority) | Q(priority__isnull=True), Q(tier=tier) | Q(tier=""), active=True
    )
    best = max(policies, key=lambda p: (p.priority is not None, p.tier != ""), default=None)
    if best is not None:
        return SLATargets(best, best.first_response_minutes * 60, best.resolution_minutes * 60)
    index = min(max(int(priority), 1), 4) - 1
    return SLATargets(
        None,
        settings.HELPDESK_SLA_FIRST_RESPONSE_MINUTES[index] * 60,
        settings.HELPDESK_SLA_RESOLUTION_MINUTES[index] * 60,
    )


def _compute_due_times(sla: TicketSLA, ticket: Ticket, spec: CalendarSpec) -> None:
    ratio = settings.HELPDESK_SLA_AT_RISK_RATIO
    if ticket.agent_initiated or sla.first_response_target_s is None:
        sla.first_response_due_at = sla.first_response_warn_at = None
    else:
        start = ticket.first_inbound_at or ticket.created_at
        sla.first_response_due_at = business_add(spec, start, sla.first_response_target_s)
        sla.first_response_warn_at = business_add(spec, start, int(sla.first_response_target_s * ratio))
    if sla.resolution_target_s is not None:
        start, paused = ticket.created_at, sla.paused_business_s
        sla.resolution_due_at = business_add(spec, start, sla.resolution_target_s + paused)
        sla.resolution_warn_at = business_add(spec, start, int(sla.resolution_target_s * ratio) + paused)
    sla.updated_at = timezone.now()


def _apply_targets(sla: TicketSLA, ticket: Ticket, *, tier: str | None = None, memo: dict | None = None) -> CalendarSpec:
    """Sets the targets and due times. `memo` keeps the policies and calendars already
    read, for many tickets at once."""
    memo = {} if memo is None else memo
    if tier is None:
        tier = Customer.objects.filter(pk=ticket.customer_id).values_list("tier", flat=True).first() or ""
    if (ticket.priority, tier) not in memo:
        memo[(ticket.priority, tier)] = sla_targets(priority=ticket.priority, tier=tier)
    if ("calendar", ticket.team_id) not in memo:
        memo[("calendar", ticket.team_id)] = calendar_for_team(ticket.team_id)
    targets, spec = memo[(ticket.priority, tier)], memo[("calendar", ticket.team_id)]
    sla.policy = targets.policy
    sla.calendar_id = spec.calendar_id
    sla.first_response_target_s = targets.first_response_s
    sla.resolution_target_s = targets.resolution_s
    _compute_due_times(sla, ticket, spec)
    return spec


def ticket_sla_start(*, ticket: Ticket) -> TicketSLA:
    """Starts the ticket's SLA clock; a second call returns the running one."""
    sla = TicketSLA.objects.filter(ticket=ticket).first()
    if sla is not None:
        return sla
    sla = TicketSLA(ticket=ticket)
    _apply_targets(sla, ticket)
    TicketSLA.objects.bulk_create([sla], ignore_conflicts=True)
    return TicketSLA.objects.get(ticket=ticket)


def tickets_sla_start(*, tickets: list[Ticket]) -> None:
    """`ticket_sla_start` for many tickets: the clocks not running yet start, in one INSERT."""
    running = set(TicketSLA.objects.filter(ticket__in=tickets).values_list("ticket_id", flat=True))
    starting = [ticket for ticket in tickets if ticket.pk not in running]
    if not starting:
        return
    tiers = dict(Customer.objects.filter(pk__in={t.customer_id for t in starting}).values_list("pk", "tier"))
    memo: dict = {}
    slas = [TicketSLA(ticket=ticket) for ticket in starting]
    for sla, ticket in zip(slas, starting, strict=True):
        _apply_targets(sla, ticket, tier=tiers.get(ticket.customer_id, ""), memo=memo)
    TicketSLA.objects.bulk_create(slas, ignore_conflicts=True)


def ticket_sla_refresh(*, ticket: Ticket) -> TicketSLA:
    """Recomputes targets and due times after a change of priority, team or tier."""
    sla = ticket_sla_start(ticket=ticket)
    _apply_targets(sla, ticket)
    sla.save()
    return sla


def sla_status_changed(*, ticket: Ticket, previous: str, paused_from: datetime | None, now: datetime) -> list[str]:
    """Called by ticket_set_status before it saves the ticket: the business time spent
    pending stops the clock, and a resolution records its business seconds. Returns
    the ticket fields it set."""
    leaving_pending = previous == Ticket.Status.PENDING and paused_from is not None
    resolving = ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED) and ticket.resolved_at == now
    if not leaving_pending and not resolving:
        return []
    spec = calendar_for_team(ticket.team_id)
    sla = ticket_sla_start(ticket=ticket)
    if leaving_pending:
        sla.paused_business_s += business_seconds_between(spec, paused_from, now)
        _compute_due_times(sla, ticket, spec)
        sla.save()
    if not resolving:
        return []
    worked = business_seconds_between(spec, ticket.created_at, now) - sla.paused_business_s
    ticket.resolution_business_s = max(0, worked)
    return ["resolution_business_s"]


def first_response_business_seconds(*, ticket: Ticket, at: datetime) -> int | None:
    """Plain business seconds from the first inbound message to the first response."""
    if ticket.first_inbound_at is None:
        return None
    return business_seconds_between(calendar_for_team(ticket.team_id), ticket.first_inbound_at, at)


def _breach(sla_id: int, *, field_name: str, label: str, now: datetime) -> bool:
    """Marks one breach; the conditional update makes a second sweep a no-op."""
    if not TicketSLA.objects.filter(pk=sla_id, **{f"{field_name}__isnull": True}).update(**{field_name: now}):
        return False
    ticket = Ticket.objects.select_related("assignee").get(pk=sla_id)
    TicketActivity.objects.create(ticket=ticket, kind=TicketActivity.Kind.SLA_BREACHED, data={"target": label})
    if ticket.assignee is not None:
        # Imported here: the console's services import the ticket services, which import this module.
        from tickets.services.console import notifications_create

        text = _("SLA breached on %(ref)s: %(target)s") % {"ref": ticket.reference, "target": label}
        notifications_create(users=[ticket.assignee], ticket=ticket, kind=Notification.Kind.SLA, text=text)
    events.publish_ticket_changed(ticket, changes={"sla_breached": label})
    return True


def sla_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Records the breaches that happened since the last sweep. Pending tickets are
    not on the clock. Served by the partial indexes on the due times."""
    now = now or timezone.now()
    on_clock = [Ticket.Status.NEW, Ticket.Status.OPEN]
    late_response = TicketSLA.objects.filter(
        first_response_breached_at__isnull=True,
        first_response_due_at__lte=now,
        ticket__first_response_at__isnull=True,
        ticket__status__in=on_clock,
    ).values_list("pk", flat=True)[:limit]
    late_resolution = TicketSLA.objects.filter(
        resolution_breached_at__isnull=True, resolution_due_at__lte=now, ticket__status__in=on_clock
    ).values_list("pk", flat=True)[:limit]
    count = 0
    for sla_id in list(late_response):
        with transaction.atomic():
            count += _breach(sla_id, field_name="first_response_breached_at", label="first_response", now=now)
    for sla_id in list(late_resolution):
        with transaction.atomic():
            count += _breach(sla_id, field_name="resolution_breached_at", label="resolution", now=now)
    return count
