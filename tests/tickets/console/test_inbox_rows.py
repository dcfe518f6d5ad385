"""The inbox rows' relative times say what django.contrib.humanize's naturaltime says."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.humanize.templatetags import humanize
from django.utils import translation

from tickets.console.natural_time import natural_time

NOW = datetime(2024, 3, 31, 23, 59, 30, 250000, tzinfo=UTC)


class _FrozenClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW.astimezone(tz) if tz else NOW.replace(tzinfo=None)


def _offsets(rng: random.Random) -> list[timedelta]:
    edges = [0, 1, 59, 60, 61, 3599, 3600, 86399, 86400, 86401, 7 * 86400, 29 * 86400, 31 * 86400, 365 * 86400]
    offsets = [timedelta(seconds=s) for s in edges]
    offsets += [timedelta(seconds=rng.randrange(0, 800 * 86400), microseconds=rng.randrange(10**6)) for _ in range(400)]
    return offsets + [-offset for offset in offsets]


@pytest.mark.parametrize("language", ["en", "th"])
def test_natural_time_reads_as_naturaltime_in_the_past_and_the_future(monkeypatch, language):
    monkeypatch.setattr(humanize, "datetime", _FrozenClock)
    rng = random.Random(5)
    with translation.override(language):
        for offset in _offsets(rng):
            for zone in (UTC, ZoneInfo("Asia/Bangkok")):
                value = (NOW - offset).astimezone(zone)
                assert natural_time(value, NOW) == str(humanize.naturaltime(value)), (offset, zone)
