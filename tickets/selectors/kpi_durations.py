"""Exact percentiles of the durations over a range without sorting its tickets: the
duration rollups (tickets/services/kpi_durations.py) count the tickets per bucket, so
the ranks that percentile_cont interpolates between fall in a known bucket; one
statement then reads, for each percentile, only that bucket's tickets of the range
(ORDER BY ... LIMIT 2 OFFSET, from the duration-first indexes of migrations 0024 and 0027).
The figures equal percentile_cont's: the same two values and the same arithmetic.
The daily trend's medians are stored per day by the refresh and read as they are.

The rollups count each measure per channel, per team and per assignee too: a call
filtered on one of them reads that one's buckets; a call filtered on several sorts
its tickets (tickets/selectors/kpi_percentiles.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Q

from tickets.models import KPIDurationDay, KPIDurationMonth, KPIFirstResponseDay, Ticket
from tickets.selectors.kpi_spans import RollupSpan, rollup_rows_sql
from tickets.services.kpi_durations import AGENT_MEASURE, DIMENSIONS, MEASURES, bucket_bounds, measure_by

PERCENTILES = {"p50": 0.5, "p90": 0.9}
Buckets = list[tuple[int, int]]  # (bucket, tickets), buckets in order
# A filter the rollups count by (a dimension of DIMENSIONS, its value), or None for all tickets.
OneFilter = tuple[str, Any] | None


@dataclass
class _BucketCounts:
    overall: dict[str, Buckets] = field(default_factory=dict)  # measure ->
    agents: dict[int, Buckets] = field(default_factory=dict)  # first responses by assignee
    day_medians: dict[date, float] = field(default_factory=dict)  # stored, KPIFirstResponseDay


def _bucket_counts(span: RollupSpan, days: list[date] | None, one_filter: OneFilter) -> _BucketCounts:
    """Each measure's buckets over the range (of the tickets `one_filter` selects)
    and, with `days`, the first responses' buckets of each assignee and the stored
    median of each day: one statement."""

    def summed(measures: Q, keys: tuple[str, ...], select: str) -> tuple[str, list]:
        rows_sql, params = rollup_rows_sql(
            (KPIDurationDay, KPIDurationMonth), filters=measures, span=span, columns=("measure", *keys, "tickets")
        )
        group = ", ".join(("measure", *keys))
        return (
            f"SELECT {select}, SUM(tickets), CAST(NULL AS double precision) FROM ({rows_sql}) AS duration_rows"
            f" GROUP BY {group}",
            params,
        )

    names = {measure: measure for measure in MEASURES}  # as stored -> as reported
    measures = Q(measure__in=list(names))
    if one_filter is not None:
        dimension, value = one_filter
        names = {measure_by(measure, dimension): measure for measure in MEASURES}
        measures = Q(measure__in=list(names), **{DIMENSIONS[dimension]: value})
    parts = [
        summed(
            measures,
            ("bucket",),
            "'all' AS kind, measure, CAST(NULL AS date) AS day, CAST(NULL AS bigint) AS agent, bucket",
        )
    ]
    if days:
        parts.append(
            summed(
                Q(measure=AGENT_MEASURE),
                ("assignee_id", "bucket"),
                "'agent', measure, CAST(NULL AS date), assignee_id, bucket",
            )
        )
        medians = KPIFirstResponseDay.objects.filter(day__gte=days[0], day__lte=days[-1])
        median_sql, median_params = medians.values("day", "median_s").order_by().query.sql_with_params()
        parts.append(
            (
                "SELECT 'day', 'first_response_s', day, CAST(NULL AS bigint), CAST(NULL AS integer),"
                f" CAST(NULL AS bigint), median_s FROM ({median_sql}) AS m",
                list(median_params),
            )
        )
    counts = _BucketCounts(overall={measure: [] for measure in MEASURES})
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(sql for sql, _params in parts),
            [p for _sql, params in parts for p in params],
        )
        for kind, measure, day, agent, bucket, tickets, median in cursor.fetchall():
            if kind == "all":
                counts.overall[names[measure]].append((bucket, int(tickets)))
            elif kind == "agent":
                counts.agents.setdefault(agent, []).append((bucket, int(tickets)))
            else:
                # Raw SQL skips the ORM's converters: SQLite hands dates back as text.
                counts.day_medians[date.fromisoformat(day) if isinstance(day, str) else day] = median
    # Ordered here: sorting the statement's rows by their text columns cost more.
    for buckets in [*counts.overall.values(), *counts.agents.values()]:
        buckets.sort()
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
    *,
    measure: str,
    moment: str,
    start: datetime,
    end: datetime,
    buckets: list[tuple[int, int]],
    percentile: float,
    match: tuple[str, Any] | None,
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
    params: list = [bucket_bounds(first)[0], bucket_bounds(last)[1], start, end]
    matching = ""
    if match is not None:
        column, value = match
        matching = f" AND {column} = %s"
        params.append(value)
    sql = (
        f"SELECT {measure} AS v FROM {Ticket._meta.db_table}"
        f" WHERE {measure} >= %s AND {measure} < %s AND {moment} >= %s AND {moment} < %s{matching}"
        f" ORDER BY {measure} LIMIT 2 OFFSET %s"
    )
    return position, low, sql, [*params, low - before]


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


@dataclass
class DurationFigures:
    row: dict[str, Any]  # `<measure>__n`, `__p50` and `__p90` of each measure
    first_response_by_day: dict[date, float]
    first_response_by_agent: dict[int, float]


def duration_figures(
    *, start: datetime, end: datetime, span: RollupSpan, days: list[date] | None, one_filter: OneFilter
) -> DurationFigures:
    """Each measure's count and percentiles over the tickets (those `one_filter`
    selects) whose moment (created or resolved) falls in [start, end), whose days
    `span` covers; unfiltered and with `days` (the
    range's), the median first response of each assignee and each day (the days'
    stored at refresh time, KPIFirstResponseDay). Two statements: the buckets and the
    days' medians, then the values at the ranks."""
    if one_filter is not None and days:
        raise ValueError("the agent table and the daily trend are counted over every ticket only")
    counts = _bucket_counts(span, days, one_filter)
    one = None if one_filter is None else (DIMENSIONS[one_filter[0]], one_filter[1])
    row: dict[str, Any] = {}
    parts: list[tuple[Any, str, list]] = []
    positions: dict[Any, tuple[float, int]] = {}

    def read(
        key: Any,
        *,
        measure: str,
        start: datetime,
        end: datetime,
        buckets: Buckets,
        percentile: float,
        match: tuple[str, Any] | None,
    ) -> None:
        position, low, sql, params = _rank_values(
            measure=measure,
            moment=MEASURES[measure],
            start=start,
            end=end,
            buckets=buckets,
            percentile=percentile,
            match=match,
        )
        positions[key] = (position, low)
        parts.append((key, sql, params))

    for measure, buckets in counts.overall.items():
        row[f"{measure}__n"] = sum(tickets for _bucket, tickets in buckets)
        for name, percentile in PERCENTILES.items():
            row[f"{measure}__{name}"] = None
            if buckets:
                read(
                    f"{measure}__{name}",
                    measure=measure,
                    start=start,
                    end=end,
                    buckets=buckets,
                    percentile=percentile,
                    match=one,
                )
    for agent, buckets in counts.agents.items():
        read(
            agent,
            measure="first_response_s",
            start=start,
            end=end,
            buckets=buckets,
            percentile=0.5,
            match=("assignee_id", agent),
        )
    by_agent: dict[int, float] = {}
    for key, values in _read_ranks(parts).items():
        value = _interpolated(values, *positions[key])
        if isinstance(key, str):
            row[key] = value
        else:
            by_agent[key] = value
    return DurationFigures(row, counts.day_medians, by_agent)
