from __future__ import annotations

from datetime import time

import pytest

from tickets import pipeline_worker
from tickets.models.sla import BusinessCalendar, BusinessHours


def open_around_the_clock() -> BusinessCalendar:
    """A default calendar open every day, so that the chat's offline rule depends on presence alone."""
    calendar = BusinessCalendar.objects.create(name="Always open", is_default=True)
    BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=day, opens=time(0, 0), closes=time(23, 59, 59)) for day in range(7)
    )
    return calendar


@pytest.fixture
def always_open(db) -> BusinessCalendar:
    return open_around_the_clock()


@pytest.fixture
def accepted_not_processed(monkeypatch):
    """Chat messages are only stored and acknowledged, as with a broker; the test plays
    the pipeline worker. Follow-up tasks still run in-process, when the outbox relays them."""
    monkeypatch.setattr(pipeline_worker, "runs_inline", lambda: False)
    monkeypatch.setattr(pipeline_worker, "wake", lambda: None)
