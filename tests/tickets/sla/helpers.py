"""A settable clock and small builders for the supervision tests (SLA, KPIs, rules,
surveys). Everything still goes through the real pipeline and services."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import deliver
from tickets.models import BusinessCalendar, BusinessHours, Holiday

BANGKOK = ZoneInfo("Asia/Bangkok")


def bkk(text: str) -> datetime:
    """'2026-11-20 17:30' in Bangkok."""
    return datetime.fromisoformat(text).replace(tzinfo=BANGKOK)


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, when: str | datetime) -> datetime:
        self.now = bkk(when) if isinstance(when, str) else when
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def office_calendar(db) -> BusinessCalendar:
    """Monday to Friday 09:00-18:00 in Bangkok; Monday 23 November 2026 is a holiday."""
    calendar = BusinessCalendar.objects.create(name="Bangkok office", time_zone="Asia/Bangkok", is_default=True)
    BusinessHours.objects.bulk_create(
        [BusinessHours(calendar=calendar, weekday=day, opens=time(9), closes=time(18)) for day in range(5)]
    )
    Holiday.objects.create(calendar=calendar, date=bkk("2026-11-23 00:00").date(), name="Office holiday")
    return calendar


def deliver_now(capture, *args, **kwargs):
    """An inbound message through the pipeline, with its after-commit follow-ups run."""
    with capture(execute=True):
        return deliver(*args, **kwargs)


@pytest.fixture(autouse=True)
def outbox(monkeypatch) -> list:
    """Outbound messages stay here instead of going to Twilio or SMTP: these tests are
    about what the helpdesk decides to send, not about delivery."""
    from tickets import registry
    from tickets.models import Channel

    sent: list = []

    def record(message):
        sent.append(message)
        return registry.SendResult(external_id=f"fake-{message.pk}")

    for channel in Channel.values:
        monkeypatch.setitem(registry._senders, channel, record)
    return sent
