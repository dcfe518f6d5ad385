"""Business hours and the expected response time shown in the portal come from the
supervisors' calendar and SLA policies when they exist."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from kb.portal.selectors import support_hours
from tickets.models import Customer, Ticket
from tickets.models.sla import BusinessCalendar, BusinessHours, SLAPolicy

pytestmark = pytest.mark.django_db
BANGKOK = ZoneInfo("Asia/Bangkok")


def test_the_default_calendar_and_the_normal_policy_are_shown(db):
    calendar = BusinessCalendar.objects.create(name="Bangkok office", time_zone="Asia/Bangkok", is_default=True)
    BusinessHours.objects.create(calendar=calendar, weekday=5, opens=time(10), closes=time(14))
    SLAPolicy.objects.create(
        name="Normal", priority=Ticket.Priority.NORMAL, first_response_minutes=45, resolution_minutes=600
    )
    SLAPolicy.objects.create(name="VIP", tier=Customer.Tier.VIP, first_response_minutes=5, resolution_minutes=60)
    page = Client().get("/portal/").content.decode()
    assert "Saturday" in page and "10:00–14:00" in page and "Monday" not in page
    assert "We answer new requests within 45 minutes of opening hours." in page


def test_open_now_follows_the_calendar_time_zone(db):
    saturday_noon = datetime(2026, 11, 21, 12, 0, tzinfo=BANGKOK)
    assert not support_hours(now=saturday_noon).open_now  # settings: Monday to Friday
    assert support_hours(now=datetime(2026, 11, 23, 9, 30, tzinfo=BANGKOK)).open_now
    assert not support_hours(now=datetime(2026, 11, 23, 18, 0, tzinfo=BANGKOK)).open_now
