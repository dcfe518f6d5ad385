"""The duration rollups (KPIDurationDay, KPIDurationMonth): tickets per day and bucket
of each duration the dashboard gives percentiles of. A bucket holds the durations of
two significant digits (1 s wide below a minute, 10 s up to 10 minutes, 60 s up to
an hour, and so on), about 55 buckets per power of ten: a percentile's rank falls
in one bucket, whose few tickets tickets/selectors/kpi_durations.py then reads."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import BigIntegerField, Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, TruncDate

from tickets.models import Ticket

# (first duration in seconds, bucket width): each stretch ends where the next begins.
GRID = ((0, 1), (60, 10), (600, 60), (3600, 600), (36_000, 6_000), (360_000, 60_000))


def _first_buckets() -> list[int]:
    firsts = [0]
    for (start, width), (next_start, _width) in zip(GRID, GRID[1:], strict=False):
        firsts.append(firsts[-1] + (next_start - start) // width)
    return firsts


FIRST_BUCKETS = _first_buckets()

# (measure, the moment whose day counts it): first responses of the tickets created
# on a day, resolutions of those resolved on it (tickets/selectors/kpis.py's docstring).
MEASURES = {
    "first_response_s": "created_at",
    "first_response_business_s": "created_at",
    "resolution_s": "resolved_at",
    "resolution_business_s": "resolved_at",
}


# The filters a KPI call may ask for one at a time (name -> the ticket's column): each
# measure is counted per value of each too, under a measure of its own
# (measure_by()) so that the sums over MEASURES never count a ticket twice.
DIMENSIONS = {"channel": "channel", "team": "team_id", "assignee": "assignee_id"}


def measure_by(measure: str, dimension: str) -> str:
    return f"{measure}_by_{dimension}"


# The agent table's medians: the first responses per assignee.
AGENT_MEASURE = measure_by("first_response_s", "assignee")


def bucket_of(seconds: int) -> int:
    for (start, width), first in reversed(list(zip(GRID, FIRST_BUCKETS, strict=True))):
        if seconds >= start:
            return first + (seconds - start) // width
    raise ValueError(seconds)


def bucket_bounds(bucket: int) -> tuple[int, int]:
    """The durations of a bucket: [low, high)."""
    for (start, width), first in reversed(list(zip(GRID, FIRST_BUCKETS, strict=True))):
        if bucket >= first:
            low = start + (bucket - first) * width
            return low, low + width
    raise ValueError(bucket)


def bucket_expression(field: str) -> Case:
    """bucket_of() in SQL: integer division, the same on every database."""
    stretches = list(zip(GRID, FIRST_BUCKETS, strict=True))
    whens = [
        When(
            **{f"{field}__lt": next_start},
            then=Value(first) + (F(field) - Value(start)) / Value(width),
        )
        for ((start, width), first), ((next_start, _w), _f) in zip(stretches, stretches[1:], strict=False)
    ]
    (start, width), first = stretches[-1]
    return Case(*whens, default=Value(first) + (F(field) - Value(start)) / Value(width), output_field=IntegerField())


DURATION_COLUMNS = ("day", "measure", "channel", "team_id", "assignee_id", "bucket", "tickets")


def duration_rows(within: Callable[[str], Q], day: Callable[[str], TruncDate]) -> tuple[str, list]:
    """The daily rows (DURATION_COLUMNS) of the days `within` selects: each measure
    over every ticket, and per value of each of DIMENSIONS."""
    no_id = Cast(Value(None), BigIntegerField())  # typed: a bare NULL is text to PostgreSQL
    no_value = {"channel": Value(""), "team_id": no_id, "assignee_id": no_id}
    parts: list[QuerySet] = []
    for measure, moment in MEASURES.items():
        counted = Ticket.objects.filter(within(moment), **{f"{measure}__isnull": False})
        for dimension, column in [(None, None), *DIMENSIONS.items()]:
            tickets = counted if column is None else counted.filter(**{f"{column}__isnull": False})
            values = {f"r_{name}": F(name) if name == column else null for name, null in no_value.items()}
            parts.append(
                tickets.annotate(
                    r_day=day(moment),
                    r_measure=Value(measure if dimension is None else measure_by(measure, dimension)),
                    **values,
                    r_bucket=bucket_expression(measure),
                )
                .values("r_day", "r_measure", *values, "r_bucket")
                .annotate(r_n=Count("*"))
                .order_by()
            )
    # Each part's columns named in order: the ORM orders an F() annotation apart.
    selects, params = [], []
    for n, part in enumerate(parts):
        sql, part_params = part.query.sql_with_params()
        selects.append(
            f"SELECT r_day, r_measure, r_channel, r_team_id, r_assignee_id, r_bucket, r_n FROM ({sql}) AS part{n}"
        )
        params += part_params
    return " UNION ALL ".join(selects), params


def first_response_median_rows(within: Callable[[str], Q], day: Callable[[str], TruncDate]) -> tuple[str, list]:
    """The rows (day, median first response) of the days `within` selects: the middle
    one or two values of each day's tickets, averaged, which is percentile_cont(0.5)
    (an average of two integers is exact in a double) on every database."""
    answered = (
        Ticket.objects.filter(within("created_at"), first_response_s__isnull=False)
        .annotate(r_day=day("created_at"), r_value=F("first_response_s"))
        .values("r_day", "r_value")
        .order_by()
    )
    sql, params = answered.query.sql_with_params()
    numbered = (
        "SELECT r_day, r_value, ROW_NUMBER() OVER (PARTITION BY r_day ORDER BY r_value) AS r_rank,"
        f" COUNT(*) OVER (PARTITION BY r_day) AS r_count FROM ({sql}) AS answered"
    )
    return (
        f"SELECT r_day, CAST(AVG(r_value) AS double precision) FROM ({numbered}) AS numbered"
        " WHERE r_rank - 1 IN ((r_count - 1) / 2, r_count / 2) GROUP BY r_day",
        list(params),
    )
