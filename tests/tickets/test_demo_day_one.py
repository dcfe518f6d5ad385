"""What a newcomer meets on `make run`: the demo answers around the clock, so its live
chat is open whenever someone tries it, and the help centre and the portal say so."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from channels_app.chat.session import agents_available
from tickets.models.sla import BusinessCalendar
from tickets.services.demo import demo_calendar_ensure

pytestmark = pytest.mark.django_db
SUNDAY_3AM = datetime(2026, 12, 6, 3, 0, tzinfo=ZoneInfo("Asia/Bangkok"))


def test_the_demo_calendar_is_open_around_the_clock_and_made_once():
    demo_calendar_ensure()
    demo_calendar_ensure()

    calendar = BusinessCalendar.objects.get(is_default=True)
    assert calendar.hours.count() == 7


def test_an_existing_default_calendar_is_kept():
    BusinessCalendar.objects.create(name="Office", is_default=True)
    demo_calendar_ensure()
    assert list(BusinessCalendar.objects.values_list("name", flat=True)) == ["Office"]


def test_the_demo_chat_is_live_at_night_with_no_agent_online(settings):
    demo_calendar_ensure()
    settings.HELPDESK_CHAT_WITHOUT_ONLINE_AGENT = True
    assert agents_available(now=SUNDAY_3AM) is True
    settings.HELPDESK_CHAT_WITHOUT_ONLINE_AGENT = False
    assert agents_available(now=SUNDAY_3AM) is False  # nobody is online


@pytest.mark.parametrize(
    ("language", "footer", "portal"),
    [
        ("en", "Our team answers every day, around the clock.", "Every day, around the clock."),
        ("th", "ทีมงานของเราตอบทุกวัน ตลอด 24 ชั่วโมง", "ทุกวัน ตลอด 24 ชั่วโมง"),
    ],
)
def test_the_help_centre_and_the_portal_tell_the_real_hours(language, footer, portal):
    demo_calendar_ensure()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert footer in client.get("/help/").content.decode()
    assert portal in client.get("/portal/").content.decode()


def test_office_hours_are_listed_instead(settings):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/help/").content.decode()
    assert "around the clock" not in page
    assert "Our team is in now." in page or "Our team is away now" in page
