from datetime import time

import pytest

from tests.tickets.sla.helpers import bkk, deliver_now
from tickets.models import BusinessCalendar, BusinessHours, SLAPolicy, Team, Ticket, TicketActivity, TicketSLA
from tickets.selectors.sla import sla_at_risk_tickets, sla_counts, ticket_sla_annotate
from tickets.services.replies import reply_create
from tickets.services.sla import (
    business_add,
    business_seconds_between,
    calendar_for_team,
    is_business_hours,
    sla_sweep,
)
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db


def test_business_seconds_skip_the_weekend_and_the_holiday(office_calendar):
    # Friday 17:30 -> Tuesday 09:30, Monday a holiday: 30 min on Friday + 30 min on Tuesday.
    assert business_seconds_between(office_calendar, bkk("2026-11-20 17:30"), bkk("2026-11-24 09:30")) == 3600
    assert business_seconds_between(office_calendar, bkk("2026-11-21 10:00"), bkk("2026-11-22 20:00")) == 0
    assert business_seconds_between(office_calendar, bkk("2026-11-24 09:30"), bkk("2026-11-20 17:30")) == 0
    # And back: an hour of business time from Friday 17:30 ends on Tuesday 09:30.
    assert business_add(office_calendar, bkk("2026-11-20 17:30"), 3600) == bkk("2026-11-24 09:30")


def test_the_default_calendar_lives_in_settings_until_one_is_saved(settings):
    settings.HELPDESK_BUSINESS_HOURS = "08:00-17:00"
    spec = calendar_for_team(None)
    assert str(spec.time_zone) == "Asia/Bangkok"
    assert business_seconds_between(spec, bkk("2026-11-23 07:00"), bkk("2026-11-23 20:00")) == 9 * 3600


def test_a_team_calendar_with_its_own_time_zone():
    team = Team.objects.create(name="London")
    calendar = BusinessCalendar.objects.create(name="London office", time_zone="Europe/London")
    calendar.teams.add(team)
    BusinessHours.objects.create(calendar=calendar, weekday=0, opens=time(9), closes=time(17))
    # 16:00 in Bangkok on a Monday in November is 09:00 in London.
    assert is_business_hours(team, bkk("2026-11-23 16:30"))
    assert not is_business_hours(team, bkk("2026-11-23 15:30"))
    assert not is_business_hours(None, bkk("2026-11-22 10:00"))  # a Sunday


def test_first_response_business_seconds_across_a_weekend_and_a_holiday(clock, office_calendar, agent, django_capture_on_commit_callbacks):
    clock.set("2026-11-20 17:30")
    ticket = deliver_now(django_capture_on_commit_callbacks, "email", "ann@example.com", "My order is late", subject="Order").ticket
    clock.set("2026-11-24 09:30")
    reply_create(ticket=ticket, author=agent, text="It ships today.")
    ticket.refresh_from_db()
    assert ticket.first_response_business_s == 3600
    assert ticket.first_response_s == (3 * 24 + 16) * 3600


def test_the_sla_clock_pauses_while_pending_and_resumes(clock, office_calendar, agent, django_capture_on_commit_callbacks):
    SLAPolicy.objects.create(name="Normal", priority=Ticket.Priority.NORMAL, first_response_minutes=60, resolution_minutes=16 * 60)
    clock.set("2026-11-24 10:00")  # a Tuesday
    ticket = deliver_now(django_capture_on_commit_callbacks, "sms", "+66811111111", "The app crashes").ticket
    sla = TicketSLA.objects.get(ticket=ticket)
    # 16 business hours from Tuesday 10:00: 8 on Tuesday, 8 on Wednesday until 17:00.
    assert sla.resolution_due_at == bkk("2026-11-25 17:00")
    assert sla.first_response_due_at == bkk("2026-11-24 11:00")

    clock.set("2026-11-24 11:00")
    ticket_set_status(ticket=ticket, status=Ticket.Status.PENDING, actor=agent)
    clock.set("2026-11-24 13:00")  # pending for 2 business hours
    ticket.refresh_from_db()
    ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, actor=agent)
    sla.refresh_from_db()
    assert sla.paused_business_s == 2 * 3600
    # Shifted by 2 business hours: Wednesday 17:00-18:00, then Thursday 09:00-10:00.
    assert sla.resolution_due_at == bkk("2026-11-26 10:00")

    clock.set("2026-11-24 14:00")
    ticket.refresh_from_db()
    ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    ticket.refresh_from_db()
    # 4 business hours since creation, 2 of them pending.
    assert ticket.resolution_business_s == 2 * 3600
    assert ticket.resolution_s == 4 * 3600


def test_pending_overnight_counts_only_business_time(clock, office_calendar, agent, django_capture_on_commit_callbacks):
    clock.set("2026-11-24 16:00")
    ticket = deliver_now(django_capture_on_commit_callbacks, "sms", "+66811111112", "Where is my refund?").ticket
    before = TicketSLA.objects.get(ticket=ticket).resolution_due_at
    clock.set("2026-11-24 17:00")
    ticket_set_status(ticket=ticket, status=Ticket.Status.PENDING, actor=agent)
    clock.set("2026-11-25 10:00")  # 17:00-18:00 and 09:00-10:00: two business hours
    ticket.refresh_from_db()
    ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, actor=agent)
    after = TicketSLA.objects.get(ticket=ticket).resolution_due_at
    assert after == business_add(office_calendar, before, 2 * 3600)


def test_breaches_are_recorded_once_and_at_risk_tickets_are_listed(clock, office_calendar, agent, django_capture_on_commit_callbacks):
    SLAPolicy.objects.create(name="Urgent VIP", priority=None, tier="", first_response_minutes=60, resolution_minutes=480)
    clock.set("2026-11-24 09:00")
    late = deliver_now(django_capture_on_commit_callbacks, "sms", "+66811111113", "Help").ticket
    Ticket.objects.filter(pk=late.pk).update(assignee=agent)
    clock.set("2026-11-24 09:30")
    risky = deliver_now(django_capture_on_commit_callbacks, "sms", "+66811111114", "Help too").ticket

    clock.set("2026-11-24 10:20")
    # late: due 10:00, breached. risky: due 10:30, warned at 80% (10:18).
    assert sla_sweep() == 1
    assert sla_sweep() == 0
    assert TicketActivity.objects.filter(ticket=late, kind=TicketActivity.Kind.SLA_BREACHED).count() == 1
    assert agent.notifications.filter(ticket=late, kind="sla").count() == 1
    listed = {t.pk: (t.sla_breached, t.sla_at_risk) for t in sla_at_risk_tickets()}
    assert listed == {late.pk: (True, False), risky.pk: (False, True)}
    assert sla_counts() == {"breached": 1, "at_risk": 1}
    annotated = ticket_sla_annotate(Ticket.objects.filter(pk=risky.pk)).get()
    assert annotated.sla_first_response_due == bkk("2026-11-24 10:30")

    # A pending ticket is off the clock: never at risk, never breached by the sweep.
    ticket_set_status(ticket=risky, status=Ticket.Status.PENDING, actor=agent)
    clock.set("2026-11-24 12:00")
    assert sla_sweep() == 0
    assert risky.pk not in {t.pk for t in sla_at_risk_tickets()}
