"""Dates in the Buddhist era for Thai readers ("4 ธ.ค. 2569"), the Gregorian year for
everyone else. Loaded as a template builtin (settings TEMPLATES "builtins"), so its
`date` filter replaces Django's everywhere a template shows a date."""

from __future__ import annotations

import re
from datetime import date as date_type

from django import template
from django.template.defaultfilters import date as django_date
from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

BUDDHIST_ERA_OFFSET = 543
# A year format character that is not escaped with a backslash.
_YEAR = re.compile(r"(?<!\\)([Yy])")


def _escaped(text: str) -> str:
    return "".join(f"\\{char}" for char in text)


def buddhist_year_format(value: date_type, format_string: str) -> str:
    """The format with its year characters replaced by the Buddhist year, escaped."""
    year = value.year + BUDDHIST_ERA_OFFSET
    return _YEAR.sub(lambda m: _escaped(str(year) if m.group(1) == "Y" else f"{year % 100:02d}"), format_string)


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if not isinstance(value, date_type) or not (translation.get_language() or "").startswith("th"):
        return django_date(value, arg)
    format_string = get_format(arg or "DATE_FORMAT")  # a named format ("SHORT_DATE_FORMAT") or the format itself
    return django_date(value, buddhist_year_format(value, format_string))


@register.filter(expects_localtime=True)
def time_element(value) -> SafeString:
    """A <time> element: the ISO date and time for machines (as `date:"c"` writes it), the
    short date and time for the reader; one filter call where a list shows many."""
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), date(value, "SHORT_DATETIME_FORMAT"))


@register.filter
def iso_datetime(value):
    """An ISO 8601 string (as the data export holds dates) as a datetime, for `date`;
    anything else as it was."""
    if isinstance(value, str):
        return parse_datetime(value) or parse_date(value) or value
    return value
