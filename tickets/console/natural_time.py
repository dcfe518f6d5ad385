"""django.contrib.humanize's naturaltime ("3 days, 4 hours ago"), in the same words,
looked up once for each language and amount.

A naturaltime call looks its words up in every translation catalogue, twice for a
contextual plural: 30-55 µs, and an inbox page makes a hundred. The words depend
only on the language and on the units shown, so they are kept per (language,
units); the units are counted as django.utils.timesince counts them: years and
months by the calendar, then weeks, days, hours and minutes, two adjacent units
at most. tests/tickets/console/test_inbox_rows.py compares the two."""

from __future__ import annotations

import datetime
from functools import lru_cache

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter, naturaltime
from django.utils.html import avoid_wrapping
from django.utils.timesince import MONTHS_DAYS, TIME_CHUNKS, TIME_STRINGS_KEYS
from django.utils.timezone import is_aware
from django.utils.translation import get_language, gettext


def natural_time(value: datetime.datetime, now: datetime.datetime, *, language: str | None = None) -> str:
    """naturaltime(value) as it reads at `now` (an aware datetime), in `language`
    (the active one by default: a caller that writes many passes it once)."""
    if not is_aware(value):
        return naturaltime(value)
    language = language or get_language()
    direction = "past" if value < now else "future"
    delta = now - value if direction == "past" else value - now
    if delta.days != 0:
        # timesince() measures in the zone of the time it is given.
        now = now.astimezone(value.tzinfo)
        earlier, later = (value, now) if direction == "past" else (now, value)
        units = _units(earlier, later)
        # Never empty a day or more apart; naturaltime itself answers if it were.
        return _day_words(language, direction, units) if units else naturaltime(value)
    seconds = delta.seconds
    if seconds == 0:
        return _words(language, "now", 0)
    if seconds < 60:
        return _words(language, f"{direction}-second", seconds)
    if seconds // 60 < 60:
        return _words(language, f"{direction}-minute", seconds // 60)
    return _words(language, f"{direction}-hour", seconds // 60 // 60)


def _units(earlier: datetime.datetime, later: datetime.datetime) -> tuple[tuple[str, int], ...]:
    """The (unit, count) pairs timesince(earlier, later) shows, for a day or more."""
    total_months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if earlier.day > later.day or (earlier.day == later.day and earlier.time() > later.time()):
        total_months -= 1
    years, months = divmod(total_months, 12)
    if years or months:
        pivot_year = earlier.year + years
        pivot_month = earlier.month + months
        if pivot_month > 12:
            pivot_month -= 12
            pivot_year += 1
        pivot = datetime.datetime(
            pivot_year,
            pivot_month,
            min(MONTHS_DAYS[pivot_month - 1], earlier.day),
            earlier.hour,
            earlier.minute,
            earlier.second,
            tzinfo=earlier.tzinfo,
        )
    else:
        pivot = earlier
    remaining = (later - pivot).total_seconds()
    partials = [years, months]
    for chunk in TIME_CHUNKS:
        count = int(remaining // chunk)
        partials.append(count)
        remaining -= chunk * count
    first = next((i for i, count in enumerate(partials) if count), len(partials))
    units = []
    for name, count in zip(TIME_STRINGS_KEYS[first : first + 2], partials[first : first + 2], strict=True):
        if count == 0:
            break
        units.append((name, count))
    return tuple(units)


@lru_cache(maxsize=4096)
def _day_words(language: str, direction: str, units: tuple[tuple[str, int], ...]) -> str:
    strings = NaturalTimeFormatter.past_substrings if direction == "past" else NaturalTimeFormatter.future_substrings
    delta = gettext(", ").join(avoid_wrapping(strings[name] % {"num": count}) for name, count in units)
    return NaturalTimeFormatter.time_strings[f"{direction}-day"] % {"delta": delta}


@lru_cache(maxsize=4096)
def _words(language: str, key: str, count: int) -> str:
    words = NaturalTimeFormatter.time_strings[key]
    return str(words % {"count": count}) if key != "now" else str(words)
