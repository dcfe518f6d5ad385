"""Exact percentiles of the durations over a range without sorting its tickets: the
duration rollups (tickets/services/kpi_durations.py) count the tickets per bucket, so
the ranks that percentile_cont interpolates between fall in a known bucket; one
statement then reads, for each percentile, only that bucket's tickets of the range
(ORDER BY ... LIMIT 2 OFFSET, from the duration-first indexes of migration 0024).
The figures equal percentile_cont's: the same two values and the same arithmetic.

The rollups are not per channel, team or assignee: a filtered call sorts its tickets
as before (tickets/selectors/kpi_percentiles.py)."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Q

from tickets.models import KPIDurationDay, KPIDurationMonth, Ticket
from tickets.selectors.kpi_spans import RollupSpan, rollup_rows_sql
from tickets.services.kpi_durations import MEASURES, bucket_bounds

PERCENTILES = {"p50": 0.5, "p90": 0.9}


def _bucket_counts(span: RollupSpan) -> dict[str, list[tuple[int, int]]]:
    """measure -> [(bucket, tickets)], buckets in order."""
    rows_sql, params = rollup_rows_sql(
        (KPIDurationDay, KPIDurationMonth), filters=Q(), span=span, columns=("measure", "bucket", "tickets")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT measure, bucket, SUM(tickets) FROM ({rows_sql}) AS duration_rows"
            " GROUP BY measure, bucket ORDER BY measure, bucket",
            params,
        )
        counts: dict[str, list[tuple[int, int]]] = {measure: [] for measure in MEASURES}
        for measure, bucket, tickets in cursor.fetchall():
            counts[measure].append((bucket, int(tickets)))
    return counts


def _bucket_of_rank(buckets: list[tuple[int, int]], rank: int) -> tuple[int, int]:
    """The bucket holding the rank-th smallest value (from 0), and the ranks before it."""
    before = 0
    for bucket, tickets in buckets:
        if rank < before + tickets:
            return bucket, before
        before += tickets
    raise ValueError(rank)


def _rank_values(
    *, measure: str, moment: str, start: datetime, end: datetime, buckets: list[tuple[int, int]], percentile: float
) -> tuple[float, int, str, list]:
    """percentile_cont's position over the tickets that `buckets` count, its rank below,
    and the SELECT of the value at that rank and the next, from their buckets alone.
    (Written out: compiling a queryset for each of a range's days cost more CPU than
    the statement.)"""
    n = sum(tickets for _bucket, tickets in buckets)
    position = percentile * (n - 1)
    low = math.floor(position)
    first, before = _bucket_of_rank(buckets, low)
    last, _before = _bucket_of_rank(buckets, min(low + 1, n - 1))
    sql = (
        f"SELECT {measure} AS v FROM {Ticket._meta.db_table}"
        f" WHERE {measure} >= %s AND {measure} < %s AND {moment} >= %s AND {moment} < %s"
        f" ORDER BY {measure} LIMIT 2 OFFSET %s"
    )
    return position, low, sql, [bucket_bounds(first)[0], bucket_bounds(last)[1], start, end, low - before]


def _interpolated(values: list[int], position: float, low: int) -> float:
    """percentile_cont's interpolation, in the same double arithmetic."""
    values = sorted(values)
    if len(values) == 1 or position == low:
        return float(values[0])
    return values[0] + (values[1] - values[0]) * (position - low)


def _read_ranks(parts: list[tuple[Any, str, list]]) -> dict[Any, list[int]]:
    """Runs (key, SELECT of values, params) as one statement: key -> values."""
    found: dict[Any, list[int]] = {}
    if not parts:
        return found
    keys = {str(n): key for n, (key, _sql, _params) in enumerate(parts)}
    union = " UNION ALL ".join(
        f"SELECT %s AS k, v FROM ({sql}) AS p{n}" for n, (_key, sql, _params) in enumerate(parts)
    )
    with connection.cursor() as cursor:
        cursor.execute(union, [p for n, (_key, _sql, params) in enumerate(parts) for p in (str(n), *params)])
        for key, value in cursor.fetchall():
            found.setdefault(keys[key], []).append(value)
    return found


def duration_percentiles(*, start: datetime, end: datetime, span: RollupSpan) -> dict[str, Any]:
    """For each measure, `<measure>__n`, `__p50` and `__p90` over the tickets whose
    moment (created or resolved) falls in [start, end), whose days `span` covers."""
    counts = _bucket_counts(span)
    row: dict[str, Any] = {}
    parts: list[tuple[Any, str, list]] = []
    positions: dict[str, tuple[float, int]] = {}
    for measure, moment in MEASURES.items():
        buckets = counts[measure]
        row[f"{measure}__n"] = sum(tickets for _bucket, tickets in buckets)
        for name, percentile in PERCENTILES.items():
            key = f"{measure}__{name}"
            row[key] = None
            if buckets:
                position, low, sql, params = _rank_values(
                    measure=measure, moment=moment, start=start, end=end, buckets=buckets, percentile=percentile
                )
                positions[key] = (position, low)
                parts.append((key, sql, params))
    for key, values in _read_ranks(parts).items():
        row[key] = _interpolated(values, *positions[key])
    return row


def daily_medians(*, measure: str, days: list[date], time_zone: ZoneInfo) -> dict[date, float]:
    """The median of `measure` on each of `days` (by its moment's day), from each day's
    buckets and the tickets of the one or two that hold the middle."""
    rows = (
        KPIDurationDay.objects.filter(measure=measure, day__gte=days[0], day__lte=days[-1])
        .order_by("day", "bucket")
        .values_list("day", "bucket", "tickets")
    )
    by_day: dict[date, list[tuple[int, int]]] = {}
    for day, bucket, tickets in rows:
        by_day.setdefault(day, []).append((bucket, tickets))
    parts: list[tuple[Any, str, list]] = []
    positions: dict[date, tuple[float, int]] = {}
    for day, buckets in by_day.items():
        start = datetime.combine(day, time.min, time_zone)
        position, low, sql, params = _rank_values(
            measure=measure,
            moment=MEASURES[measure],
            start=start,
            end=datetime.combine(day + timedelta(days=1), time.min, time_zone),
            buckets=buckets,
            percentile=0.5,
        )
        positions[day] = (position, low)
        parts.append((day, sql, params))
    return {day: _interpolated(values, *positions[day]) for day, values in _read_ranks(parts).items()}
