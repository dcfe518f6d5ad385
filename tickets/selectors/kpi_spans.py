"""Which rollup rows cover a range of days: the monthly rows of the months the range
holds whole, and the daily rows of the days left (the partial months at either end).
A year then reads about twelve rows per combination of channel, team and assignee
instead of one per day, and 30 days at most the days of two partial months.

FCR splits the rollup's days at the window's edge (tickets/selectors/kpis.py's
FCREdge), which a month row cannot: the month holding the edge is read by day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, Q

from tickets.services.kpi_month_rollups import month_of, next_month


@dataclass(frozen=True)
class RollupSpan:
    daily: Q  # on a daily rollup's rows
    monthly: Q | None  # on a monthly rollup's rows; None when the range holds no whole month

    @classmethod
    def of(cls, date_from: date, date_to: date, *, split_day: date | None = None) -> RollupSpan:
        """`split_day`: a day whose month must be read by day."""
        first = date_from if date_from.day == 1 else next_month(month_of(date_from))
        after_to = date_to + timedelta(days=1)
        end = after_to if after_to.day == 1 else month_of(date_to)  # exclusive
        if first >= end:
            return cls(daily=Q(day__gte=date_from, day__lte=date_to), monthly=None)
        days = _days(date_from, first) + _days(end, after_to)
        monthly = Q(month__gte=first, month__lt=end)
        if split_day is not None and first <= month_of(split_day) < end:
            split = month_of(split_day)
            days += _days(split, next_month(split))
            monthly &= ~Q(month=split)
        # The days listed, not as ranges: an index that leads with another column
        # (the duration rollups' measure) seeks each day, where an OR of ranges
        # would read every day of its measure and filter.
        return cls(daily=Q(day__in=days), monthly=monthly)


def _days(first: date, end: date) -> list[date]:
    """[first, end)"""
    return [first + timedelta(days=n) for n in range((end - first).days)]


def rollup_rows_sql(
    models: tuple[type, type], *, filters: Q, span: RollupSpan, columns: tuple[str, ...]
) -> tuple[str, list]:
    """The daily and the monthly rows themselves, `period` (the day or the month)
    and `columns`, as one UNION ALL for SQL that sums them. (The ORM's aggregates,
    compiled once for each part, cost about 20 ms of Python per dashboard call.)"""
    daily_model, monthly_model = models
    parts = [
        model.objects.filter(filters, where).annotate(period=F(period)).values("period", *columns).order_by()
        for model, period, where in ((daily_model, "day", span.daily), (monthly_model, "month", span.monthly))
        if where is not None
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    sql, params = rows.query.sql_with_params()
    return sql, list(params)
