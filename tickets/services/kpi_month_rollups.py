"""The monthly KPI rollups (tickets/models/kpis.py): each the sum of a daily rollup's
rows over a calendar month, kept exactly as fresh as the days. On PostgreSQL a refresh
adds to each month the difference between its recomputed days' new and old rows
(kpi_month_delta_parts()); elsewhere, and on a rebuild, the months are summed again
from the daily rows. A year then reads about twelve rows per combination of channel,
team and assignee instead of one per day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth

from tickets.models import (
    KPIDurationDay,
    KPIDurationMonth,
    KPIReplyDay,
    KPIReplyMonth,
    KPISurveyDay,
    KPISurveyMonth,
    KPITagDay,
    KPITagMonth,
    KPITicketDay,
    KPITicketMonth,
)

TICKET_DIMENSIONS = ("channel", "team_id", "assignee_id")


@dataclass(frozen=True)
class MonthRollup:
    day_model: type
    month_model: type
    keys: tuple[str, ...]  # besides the month and the ticket dimensions
    counters: tuple[str, ...]
    dimensions: tuple[str, ...] = TICKET_DIMENSIONS

    @property
    def table(self) -> str:
        return self.month_model._meta.db_table

    @property
    def group(self) -> tuple[str, ...]:
        return (*self.dimensions, *self.keys)

    @property
    def columns(self) -> tuple[str, ...]:
        return ("month", *self.group, *self.counters)


MONTH_ROLLUPS = (
    MonthRollup(
        KPITicketDay,
        KPITicketMonth,
        (),
        ("created", "escalated", "resolved", "reopened", "contact_resolved", "contact_fcr"),
    ),
    MonthRollup(KPISurveyDay, KPISurveyMonth, ("kind", "scale_max", "score"), ("answers",)),
    MonthRollup(KPIReplyDay, KPIReplyMonth, ("author_id",), ("replies",)),
    MonthRollup(KPITagDay, KPITagMonth, ("tag_id",), ("tickets",)),
    MonthRollup(
        KPIDurationDay,
        KPIDurationMonth,
        ("measure", "channel", "team_id", "assignee_id", "bucket"),
        ("tickets",),
        dimensions=(),
    ),
)


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _in_months(months: list[date]) -> Q:
    """Days of these months, as one index range per month."""
    condition = Q(pk__in=[])
    for month in months:
        condition |= Q(day__gte=month, day__lt=next_month(month))
    return condition


def kpi_month_statements(days: Iterable[date] | None) -> list[tuple[str, list]]:
    """Deletes and re-inserts the months of `days` (every month when None) from the
    daily rows. Run after the days' own statements: the daily rows must be current."""
    months = None if days is None else sorted({month_of(day) for day in days})
    statements: list[tuple[str, list]] = []
    for rollup in MONTH_ROLLUPS:
        day_rows = rollup.day_model.objects.all()
        if months is None:
            statements.append((f"DELETE FROM {rollup.table}", []))
        else:
            statements.append(
                (f"DELETE FROM {rollup.table} WHERE month IN ({', '.join(['%s'] * len(months))})", list(months))
            )
            day_rows = day_rows.filter(_in_months(months))
        sums = {f"r_{counter}": Sum(counter) for counter in rollup.counters}
        grouped = day_rows.annotate(r_month=TruncMonth("day")).values("r_month", *rollup.group).annotate(**sums)
        sql, params = grouped.order_by().query.sql_with_params()
        # The outer SELECT fixes the column order, whatever order the ORM chose.
        select = ", ".join(["r_month", *rollup.group, *sums])
        statements.append(
            (
                f"INSERT INTO {rollup.table} ({', '.join(rollup.columns)}) SELECT {select} FROM ({sql}) AS days",
                list(params),
            )
        )
    return statements


def kpi_month_delta_parts(
    rollup: MonthRollup, old_rows: str, new_rows: str, name: str, months: list[date]
) -> list[tuple[str, list]]:
    """PostgreSQL common table expressions (each with its parameters) that move the
    `months` by the change of their daily rows: `old_rows` and `new_rows` name the
    expressions returning the recomputed days' deleted and inserted rows. Only the
    keys whose sums changed touch a month row, found in one pass over the months'
    rows: updated, deleted when every counter drops to zero (a full recomputation
    has no such row), inserted when new. The three act on different rows, so they
    can share the statement's snapshot."""
    group = ", ".join(rollup.group)
    counters = ", ".join(rollup.counters)
    negated = ", ".join(f"-{counter} AS {counter}" for counter in rollup.counters)
    sums = ", ".join(f"SUM({counter}) AS {counter}" for counter in rollup.counters)
    changed = " OR ".join(f"SUM({counter}) <> 0" for counter in rollup.counters)
    month = "CAST(date_trunc('month', CAST(day AS timestamp)) AS date)"
    match = " AND ".join(
        f"m.{column} IS NOT DISTINCT FROM d.{column}"
        if rollup.month_model._meta.get_field(column).null
        else f"m.{column} = d.{column}"
        for column in ("month", *rollup.group)
    )
    after = ", ".join(f"COALESCE(m.{counter}, 0) + d.{counter} AS {counter}" for counter in rollup.counters)
    emptied = " AND ".join(f"x.{counter} = 0" for counter in rollup.counters)
    moved = ", ".join(f"{counter} = x.{counter}" for counter in rollup.counters)
    # Every join to the month table names the months: the planner then reads their
    # rows by index rather than the whole table.
    in_months = ", ".join(["%s"] * len(months))
    return [
        (
            f"{name}_delta AS (SELECT month, {group}, {sums} FROM ("
            f"SELECT {month} AS month, {group}, {negated} FROM {old_rows}"
            f" UNION ALL SELECT {month}, {group}, {counters} FROM {new_rows}) AS changes"
            f" GROUP BY month, {group} HAVING {changed})",
            [],
        ),
        (
            f"{name}_after AS (SELECT m.id, d.month, {', '.join(f'd.{column}' for column in rollup.group)}, {after}"
            f" FROM {name}_delta AS d LEFT JOIN {rollup.table} AS m"
            f" ON m.month IN ({in_months}) AND {match})",
            list(months),
        ),
        (
            f"{name}_moved AS (UPDATE {rollup.table} AS m SET {moved} FROM {name}_after AS x"
            f" WHERE m.month IN ({in_months}) AND m.id = x.id AND NOT ({emptied}))",
            list(months),
        ),
        (
            f"{name}_emptied AS (DELETE FROM {rollup.table} AS m USING {name}_after AS x"
            f" WHERE m.month IN ({in_months}) AND m.id = x.id AND {emptied})",
            list(months),
        ),
        (
            f"{name}_added AS (INSERT INTO {rollup.table} ({', '.join(rollup.columns)})"
            f" SELECT month, {group}, {counters} FROM {name}_after AS x WHERE x.id IS NULL)",
            [],
        ),
    ]


def month_rows_from_days(rollup: MonthRollup, day_rows: Iterable[tuple]) -> Counter:
    """The monthly rows that daily rows (in the daily rollup's column order: day, the
    dimensions, the keys, the counters) add up to, as normalized tuples."""
    sums: dict[tuple, list[int]] = {}
    width = 1 + len(rollup.group)
    for row in day_rows:
        day = date.fromisoformat(row[0]) if isinstance(row[0], str) else row[0]
        key = (month_of(day), *row[1:width])
        totals = sums.setdefault(key, [0] * len(rollup.counters))
        for n, value in enumerate(row[width:]):
            totals[n] += int(value)
    return Counter(normalized_row((*key, *totals)) for key, totals in sums.items())


def stored_month_rows(rollup: MonthRollup) -> Counter:
    return Counter(normalized_row(row) for row in rollup.month_model.objects.values_list(*rollup.columns))


def normalized_row(row: tuple) -> tuple:
    return tuple("" if value is None else str(value) for value in row)
