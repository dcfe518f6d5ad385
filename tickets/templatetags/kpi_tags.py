"""Durations as a supervisor reads them, in their language: "17 min", "17 นาที"."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import pgettext

register = template.Library()


def duration_units() -> dict[str, str]:
    """The short units, translated: also handed to the dashboard's script."""
    return {
        "s": pgettext("duration unit", "s"),
        "min": pgettext("duration unit", "min"),
        "h": pgettext("duration unit", "h"),
        "d": pgettext("duration unit", "d"),
    }


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None or seconds == "":
        return "–"
    seconds = float(seconds)
    units = duration_units()
    if seconds < 90:
        return f"{number_format(round(seconds))} {units['s']}"
    if seconds < 5400:
        return f"{number_format(round(seconds / 60))} {units['min']}"
    if seconds < 172800:
        return f"{number_format(seconds / 3600, 1)} {units['h']}"
    return f"{number_format(seconds / 86400, 1)} {units['d']}"
