"""Percentiles of the tickets' facts: PostgreSQL's percentile_cont (linear
interpolation) over the covering indexes of the tickets created and resolved in a
range; on SQLite the same value comes from ORDER BY ... LIMIT 2 OFFSET k, one query
per percentile, and grouped medians from ROW_NUMBER()."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet

FIRST_RESPONSE_FIELDS = ("first_response_s", "first_response_business_s")
RESOLUTION_FIELDS = ("resolution_s", "resolution_business_s")


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: percentile_cont(p) WITHIN GROUP (ORDER BY x)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


class PercentilesCont(Aggregate):
    """percentile_cont(ARRAY[p1, p2, ...]): several percentiles of one set in an array,
    which PostgreSQL sorts once rather than once per percentile."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentiles)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, percentiles: tuple[float, ...], **extra):
        from django.contrib.postgres.fields import ArrayField  # needs psycopg: PostgreSQL only

        array = f"ARRAY[{', '.join(repr(float(p)) for p in percentiles)}]::float8[]"
        super().__init__(expression, percentiles=array, output_field=ArrayField(FloatField()), **extra)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def as_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _percentile_from_offset(queryset: QuerySet, field: str, percentile: float, count: int) -> float | None:
    """percentile_cont on databases without it: the two values around the position."""
    if not count:
        return None
    position = percentile * (count - 1)
    low = math.floor(position)
    values = list(
        queryset.filter(**{f"{field}__isnull": False}).order_by(field).values_list(field, flat=True)[low : low + 2]
    )
    if len(values) == 1 or position == low:
        return float(values[0])
    return values[0] + (values[1] - values[0]) * (position - low)


def percentile_aggregates(fields: tuple[str, ...], condition: Q) -> dict[str, Any]:
    """The count and (on PostgreSQL) the median and p90 of each field, as aggregates."""
    aggregates: dict[str, Any] = {}
    for field in fields:
        has = condition & Q(**{f"{field}__isnull": False})
        aggregates[f"{field}__n"] = Count("pk", filter=has)
        if is_postgres():
            aggregates[f"{field}__p50_p90"] = PercentilesCont(field, (0.5, 0.9), filter=has)
    return aggregates


def time_summary(row: dict, queryset: QuerySet, fields: tuple[str, ...]) -> dict[str, Any]:
    """The API's summary of a duration from percentile_aggregates' row."""
    wall, business = fields
    if any(f"{field}__p50" not in row for field in fields):
        _percentiles_into(row, queryset, fields)
    return {
        "count": row[f"{wall}__n"],
        "median_s": as_float(row[f"{wall}__p50"]),
        "p90_s": as_float(row[f"{wall}__p90"]),
        "business_median_s": as_float(row[f"{business}__p50"]),
        "business_p90_s": as_float(row[f"{business}__p90"]),
    }


def _percentiles_into(row: dict, queryset: QuerySet, fields: tuple[str, ...]) -> None:
    """The row's `__p50` and `__p90` of each field, when the duration rollups
    (tickets/selectors/kpi_durations.py) did not give them."""
    if is_postgres():
        for field in fields:
            row[f"{field}__p50"], row[f"{field}__p90"] = row[f"{field}__p50_p90"] or (None, None)
    else:
        for field in fields:
            for name, p in (("p50", 0.5), ("p90", 0.9)):
                row[f"{field}__{name}"] = _percentile_from_offset(queryset, field, p, row[f"{field}__n"])


def grouped_median(queryset: QuerySet, group: str, field: str) -> dict[Any, float]:
    """The median of `field` per value of the annotation or field `group`, in one query."""
    rows = queryset.filter(**{f"{field}__isnull": False})
    if is_postgres():
        return {
            key: value
            for key, value in rows.values(group)
            .annotate(m=PercentileCont(field, 0.5))
            .order_by()
            .values_list(group, "m")
        }
    # SQLite: number the values of each group, keep the one or two around the middle.
    pairs = rows.annotate(kpi_group=F(group), kpi_value=F(field)).values("kpi_group", "kpi_value").order_by()
    sql, params = pairs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT g, v, rn, cnt FROM (
                    SELECT kpi_group AS g, kpi_value AS v,
                           ROW_NUMBER() OVER (PARTITION BY kpi_group ORDER BY kpi_value) AS rn,
                           COUNT(*) OVER (PARTITION BY kpi_group) AS cnt
                    FROM ({sql}) AS src
                ) WHERE rn - 1 IN ((cnt - 1) / 2, cnt / 2)""",
            params,
        )
        middle: dict[Any, list[float]] = {}
        for key, value, _rn, _cnt in cursor.fetchall():
            # Raw SQL skips the ORM's converters: SQLite hands dates back as text.
            key = date.fromisoformat(key) if isinstance(key, str) else key
            middle.setdefault(key, []).append(value)
    return {key: sum(values) / len(values) for key, values in middle.items()}
