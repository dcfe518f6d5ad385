"""Thai readers see the Buddhist year (2569 for 2026), English readers the Gregorian
one, wherever a template formats a date."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "expected"), [("th", "4 ธ.ค. 2569"), ("en", "4 Dec 2026")]
)
def test_a_date_has_the_readers_era(language, expected):
    with translation.override(language):
        assert _render('{{ d|date:"j M Y" }}', d=date(2026, 12, 4)) == expected


def test_named_formats_short_years_and_escapes():
    moment = datetime(2026, 12, 4, 9, 30, tzinfo=ZoneInfo("Asia/Bangkok"))
    with translation.override("th"):
        assert "2569" in _render("{{ d|date:'DATE_FORMAT' }}", d=moment)
        assert _render("{{ d|date:'d/m/y' }}", d=moment) == "04/12/69"
        assert _render(r"{{ d|date:'\Y Y' }}", d=moment) == "Y 2569"
        assert _render("{{ d|date }}", d=moment).endswith("2569")
    with translation.override("en"):
        assert _render("{{ d|date:'DATE_FORMAT' }}", d=moment).endswith("2026")


def test_empty_values_stay_empty():
    with translation.override("th"):
        assert _render("{{ d|date:'Y' }}", d=None) == ""
        assert _render("{{ d|date:'Y' }}", d="") == ""


def test_the_data_exports_iso_dates_are_shown_in_the_readers_era():
    with translation.override("th"):
        rendered = _render("{{ d|iso_datetime|date:'j M Y' }}", d="2026-12-04T09:30:00+07:00")
    assert rendered == "4 ธ.ค. 2569"
    assert _render("{{ d|iso_datetime }}", d="not a date") == "not a date"
