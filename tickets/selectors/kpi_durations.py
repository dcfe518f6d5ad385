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
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F, Q

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


def duration_percentiles(*, start: datetime, end: datetime, span: RollupSpan) -> dict[str, Any]:
    """For each measure, `<measure>__n`, `__p50` and `__p90` over the tickets whose
    moment (created or resolved) falls in [start, end), whose days `span` covers."""
    counts = _bucket_counts(span)
    row: dict[str, Any] = {}
    reads: list[tuple[str, str, float, int]] = []  # (measure, name, position, low)
    parts: list[tuple[str, list]] = []
    for measure, moment in MEASURES.items():
        buckets = counts[measure]
        n = sum(tickets for _bucket, tickets in buckets)
        row[f"{measure}__n"] = n
        for name, percentile in PERCENTILES.items():
            row[f"{measure}__{name}"] = None
            if not n:
                continue
            position = percentile * (n - 1)
            low = math.floor(position)
            first, before = _bucket_of_rank(buckets, low)
            last, _before = _bucket_of_rank(buckets, min(low + 1, n - 1))
            values = (
                Ticket.objects.filter(
                    **{
                        f"{measure}__gte": bucket_bounds(first)[0],
                        f"{measure}__lt": bucket_bounds(last)[1],
                        f"{moment}__gte": start,
                        f"{moment}__lt": end,
                    }
                )
                .annotate(v=F(measure))
                .order_by(measure)
                .values_list("v")[low - before : low - before + 2]
            )
            sql, params = values.query.sql_with_params()
            parts.append((f"SELECT %s AS k, v FROM ({sql}) AS p{len(parts)}", [f"{measure}__{name}", *params]))
            reads.append((measure, name, position, low))
    if not parts:
        return row
    found: dict[str, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sql for sql, _params in parts), [p for _sql, params in parts for p in params])
        for key, value in cursor.fetchall():
            found.setdefault(key, []).append(value)
    for measure, name, position, low in reads:
        # percentile_cont's interpolation, in the same double arithmetic.
        values = sorted(found[f"{measure}__{name}"])
        if len(values) == 1 or position == low:
            row[f"{measure}__{name}"] = float(values[0])
        else:
            row[f"{measure}__{name}"] = values[0] + (values[1] - values[0]) * (position - low)
    return row
