"""What a newcomer meets on `make run`: the demo answers around the clock, so its live
chat is open whenever someone tries it, and the help centre and the portal say so."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client

from channels_app.chat.session import agents_available
from channels_app.models import DevOutboxMessage
from tickets.models import Direction, Message
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


def test_the_demo_sends_are_delivered_to_the_outbox_and_the_logins_say_where(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "channels_app.outbox.mail.EmailBackend"
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", tickets=0, verbosity=0, stdout=out)

    statuses = set(
        Message.objects.filter(direction=Direction.OUT).exclude(channel="chat").values_list("delivery_status", flat=True)
    )
    # No red timeline: every send was delivered, but the trainee's reply waiting for approval.
    assert statuses == {"delivered", "awaiting_approval"}
    assert DevOutboxMessage.objects.filter(channel="email").exists()
    assert DevOutboxMessage.objects.filter(channel="sms").exists()
    assert f"{settings.HELPDESK_PUBLIC_URL}/console/outbox/" in out.getvalue()
