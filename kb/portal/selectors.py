"""What the portal shows besides the customer's own data: when support is open and
how soon a new request is answered, from the supervisors' business calendar and
SLA policies (tickets.models.sla), else from the HELPDESK_BUSINESS_HOURS and
HELPDESK_SLA_FIRST_RESPONSE_MINUTES settings that the SLA clock itself falls back to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tickets.models import Customer, Ticket
from tickets.models.sla import BusinessCalendar, BusinessHours, SLAPolicy


@dataclass(frozen=True)
class OpeningSpan:
    weekday: int
    weekday_label: str
    opens: time
    closes: time


@dataclass(frozen=True)
class SupportHours:
    spans: list[OpeningSpan]
    time_zone: str
    open_now: bool
    first_response_minutes: int | None

    @property
    def around_the_clock(self) -> bool:
        """Open all day on all seven days (a day's span ends at 23:59, TimeField having no 24:00)."""
        whole_days = {s.weekday for s in self.spans if s.opens == time.min and s.closes >= time(23, 59)}
        return whole_days == set(range(7))

    @property
    def first_response_hours(self) -> int:
        return -(-(self.first_response_minutes or 0) // 60)


def _settings_spans() -> list[tuple[int, time, time]]:
    raw = getattr(settings, "HELPDESK_BUSINESS_HOURS", "09:00-18:00")
    opens_raw, _, closes_raw = raw.partition("-")
    opens, closes = time.fromisoformat(opens_raw.strip()), time.fromisoformat(closes_raw.strip())
    return [(weekday, opens, closes) for weekday in range(5)]  # Monday to Friday


def support_hours(*, now: datetime | None = None) -> SupportHours:
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is not None:
        raw_spans = list(calendar.hours.order_by("weekday", "opens").values_list("weekday", "opens", "closes"))
        zone = calendar.time_zone
    else:
        raw_spans = _settings_spans()
        zone = getattr(settings, "HELPDESK_BUSINESS_TIME_ZONE", settings.TIME_ZONE)
    labels = dict(BusinessHours.Weekday.choices)
    spans = [OpeningSpan(weekday=w, weekday_label=str(labels[w]), opens=o, closes=c) for w, o, c in raw_spans]
    local = (now or timezone.now()).astimezone(ZoneInfo(zone))
    open_now = any(s.weekday == local.weekday() and s.opens <= local.time() < s.closes for s in spans)
    return SupportHours(
        spans=spans, time_zone=zone, open_now=open_now, first_response_minutes=_first_response_minutes()
    )


def _first_response_minutes() -> int | None:
    """The target of a normal-priority request from a standard customer: what a new
    portal request can expect."""
    policies = SLAPolicy.objects.filter(
        Q(priority=Ticket.Priority.NORMAL) | Q(priority__isnull=True),
        Q(tier=Customer.Tier.STANDARD) | Q(tier=""),
        active=True,
    )
    # The most specific policy wins, as for the SLA clock.
    best = min(policies, key=lambda p: (p.priority is None, p.tier == ""), default=None)
    if best is not None:
        return best.first_response_minutes
    by_priority = getattr(settings, "HELPDESK_SLA_FIRST_RESPONSE_MINUTES", [])
    return by_priority[Ticket.Priority.NORMAL - 1] if len(by_priority) >= Ticket.Priority.NORMAL else None
