"""Supervisors edit SLA policies and business calendars in the console; agents cannot."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.models import BusinessCalendar, SLAPolicy, Team
from tickets.services.sla import sla_targets

pytestmark = pytest.mark.django_db

POLICY = {"name": "Urgent", "priority": "4", "tier": "", "first_response_minutes": "30", "resolution_minutes": "240", "active": "on"}


def test_agents_may_not_change_the_sla(agent_browser):
    assert agent_browser.get("/console/settings/sla/").status_code == 403
    assert agent_browser.post("/console/settings/sla/", POLICY).status_code == 403
    assert not SLAPolicy.objects.exists()


def test_a_supervisor_adds_edits_and_deletes_a_policy_that_the_sla_then_uses(supervisor_browser):
    assert supervisor_browser.post("/console/settings/sla/", POLICY).status_code == 302
    policy = SLAPolicy.objects.get()
    targets = sla_targets(priority=4, tier="standard")
    assert (targets.first_response_s, targets.resolution_s) == (30 * 60, 240 * 60)
    duplicate = supervisor_browser.post("/console/settings/sla/", {**POLICY, "name": "Again"})
    assert duplicate.status_code == 400 and "exists already" in duplicate.content.decode()
    backwards = supervisor_browser.post("/console/settings/sla/", {**POLICY, "priority": "3", "resolution_minutes": "10"})
    assert backwards.status_code == 400
    changed = supervisor_browser.post(f"/console/settings/sla/{policy.pk}/", {**POLICY, "first_response_minutes": "15"})
    assert changed.status_code == 302 and SLAPolicy.objects.get().first_response_minutes == 15
    assert supervisor_browser.post("/console/settings/sla/", {**POLICY, "first_response_minutes": "-1"}).status_code == 400
    supervisor_browser.post(f"/console/settings/sla/{policy.pk}/delete/")
    assert not SLAPolicy.objects.exists()


def test_a_supervisor_sets_a_calendars_hours_holidays_and_teams(supervisor_browser):
    team = Team.objects.create(name="Billing")
    BusinessCalendar.objects.create(name="Old default", is_default=True)
    data = {
        "name": "Bangkok office", "time_zone": "Asia/Bangkok", "is_default": "on", "teams": [team.pk],
        "open_0": "on", "opens_0": "09:00", "closes_0": "18:00", "open_5": "on", "opens_5": "10:00", "closes_5": "14:00",
        "holidays": "2026-12-31 วันสิ้นปี\n2027-01-01 New Year",
    }  # fmt: skip
    assert supervisor_browser.post("/console/settings/calendars/new/", data).status_code == 302
    calendar = BusinessCalendar.objects.get(name="Bangkok office")
    assert calendar.is_default and not BusinessCalendar.objects.get(name="Old default").is_default
    assert [(h.weekday, h.opens, h.closes) for h in calendar.hours.all()] == [
        (0, time(9), time(18)),
        (5, time(10), time(14)),
    ]
    assert [(h.date, h.name) for h in calendar.holidays.all()] == [(date(2026, 12, 31), "วันสิ้นปี"), (date(2027, 1, 1), "New Year")]
    assert list(calendar.teams.all()) == [team]
    page = supervisor_browser.get(f"/console/settings/calendars/{calendar.pk}/").content.decode()
    assert "วันสิ้นปี" in page and 'value="09:00' in page
    for bad in [
        {**data, "closes_0": "08:00"},
        {**data, "time_zone": "Mars/Olympus"},
        {**data, "holidays": "31/12/2026 x"},
        {**data, "open_1": "on"},
    ]:
        assert supervisor_browser.post(f"/console/settings/calendars/{calendar.pk}/", bad).status_code == 400
    assert calendar.hours.count() == 2


def test_the_settings_page_costs_the_same_with_more_policies_and_calendars(supervisor_browser):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert supervisor_browser.get("/console/settings/sla/").status_code == 200
        return len(queries)

    SLAPolicy.objects.create(name="first", first_response_minutes=10, resolution_minutes=20)
    BusinessCalendar.objects.create(name="first").teams.add(Team.objects.create(name="first"))
    before = count()
    for n in range(4):
        SLAPolicy.objects.create(name=f"p{n}", priority=n + 1, first_response_minutes=10, resolution_minutes=20)
        calendar = BusinessCalendar.objects.create(name=f"c{n}")
        calendar.teams.add(Team.objects.create(name=f"t{n}"))
    assert count() == before
