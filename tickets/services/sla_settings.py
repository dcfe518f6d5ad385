"""Supervisors change SLA policies and business calendars from the console. The
SLA clocks of open tickets keep the targets they started with; new tickets and
tickets whose priority changes use the new ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tickets.models import BusinessCalendar, BusinessHours, Holiday, SLAPolicy, Team


class SLASettingsError(ValueError):
    pass


@dataclass(frozen=True)
class OpeningHours:
    weekday: int
    opens: time
    closes: time


def _clean_and_save(instance) -> None:
    try:
        # The unique active (priority, tier) is left to the database, which names it below.
        instance.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise SLASettingsError(" ".join(exc.messages)) from exc
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise SLASettingsError(_("An active policy for this priority and tier exists already.")) from exc


@transaction.atomic
def sla_policy_save(
    *,
    policy: SLAPolicy | None,
    name: str,
    priority: int | None,
    tier: str,
    first_response_minutes: int,
    resolution_minutes: int,
    active: bool,
) -> SLAPolicy:
    policy = policy or SLAPolicy()
    policy.name, policy.priority, policy.tier = name.strip(), priority, tier
    policy.first_response_minutes, policy.resolution_minutes, policy.active = (
        first_response_minutes,
        resolution_minutes,
        active,
    )
    if resolution_minutes < first_response_minutes:
        raise SLASettingsError(_("The resolution target cannot come before the first response target."))
    _clean_and_save(policy)
    return policy


def sla_policy_delete(*, policy: SLAPolicy) -> None:
    policy.delete()


@transaction.atomic
def calendar_save(
    *,
    calendar: BusinessCalendar | None,
    name: str,
    time_zone: str,
    is_default: bool,
    teams: list[Team],
    hours: list[OpeningHours],
    holidays: list[tuple[date, str]],
) -> BusinessCalendar:
    """The calendar with its weekly hours and holidays, replaced as a whole. One
    calendar is the default: marking this one moves the mark here."""
    for slot in hours:
        if slot.closes <= slot.opens:
            raise SLASettingsError(_("On each open day, closing comes after opening."))
    calendar = calendar or BusinessCalendar()
    calendar.name, calendar.time_zone, calendar.is_default = name.strip(), time_zone.strip(), is_default
    if is_default:
        BusinessCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk).update(is_default=False)
    try:
        calendar.full_clean()
    except ValidationError as exc:
        raise SLASettingsError(" ".join(exc.messages)) from exc
    calendar.save()
    calendar.teams.set(teams)
    BusinessHours.objects.filter(calendar=calendar).delete()
    BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=slot.weekday, opens=slot.opens, closes=slot.closes) for slot in hours
    )
    Holiday.objects.filter(calendar=calendar).delete()
    Holiday.objects.bulk_create(
        Holiday(calendar=calendar, date=day, name=name[:100]) for day, name in dict(holidays).items()
    )
    return calendar
