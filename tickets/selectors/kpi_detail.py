"""The dashboard's detail: the daily trend and the agent table. Counts come from the
daily rollups, medians from the tickets' facts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, DateField, F, Q, QuerySet, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate

from tickets.models import KPIReplyDay, KPIReplyMonth, KPITicketDay
from tickets.selectors.fcr import fcr_condition
from tickets.selectors.kpi_durations import DurationFigures
from tickets.selectors.kpi_percentiles import as_float, grouped_median, is_postgres
from tickets.selectors.kpi_spans import RollupSpan, rollup_rows_sql
from tickets.selectors.kpis import FCREdge, KPIFilters, rate, rollup_days, ticket_filters_q

User = get_user_model()

# (day resolved, assignee) -> (tickets judged, resolved on first contact)
FCRCells = dict[tuple[date, int | None], tuple[int, int]]


def _cells(*, filters: KPIFilters, scope: QuerySet, edge: FCREdge) -> tuple[FCRCells, dict[date, int]]:
    """The judged FCR per day and assignee, and the tickets created per day, in one
    query: the rollup's days before the window's edge, and the edge day's tickets."""
    before_edge = Q(day__lt=edge.day)
    from_rollup = (
        rollup_days(KPITicketDay, filters)
        .annotate(r_day=F("day"), r_agent=F("assignee_id"))
        .values("r_day", "r_agent")
        .annotate(
            r_created=Sum("created"),
            r_judged=Sum("contact_resolved", filter=before_edge, default=0),
            r_fcr=Sum("contact_fcr", filter=before_edge, default=0),
        )
        .order_by()
    )
    resolved = scope.filter(resolved_at__gte=filters.start, resolved_at__lt=filters.end)
    at_edge = (
        edge.tickets(resolved)
        .filter(resolved_at__lte=edge.cutoff)
        .annotate(r_day=Value(edge.day, output_field=DateField()), r_agent=F("assignee_id"))
        .values("r_day", "r_agent")
        .annotate(r_created=Value(0), r_judged=Count("pk"), r_fcr=Count("pk", filter=fcr_condition()))
        .order_by()
    )
    cells: FCRCells = {}
    volume: dict[date, int] = {}
    rows = from_rollup.union(at_edge, all=True).values_list("r_day", "r_agent", "r_created", "r_judged", "r_fcr")
    for day, agent, created, judged, fcr in rows:
        day = date.fromisoformat(day) if isinstance(day, str) else day
        volume[day] = volume.get(day, 0) + created
        if judged:
            total, total_fcr = cells.get((day, agent), (0, 0))
            cells[day, agent] = (total + judged, total_fcr + fcr)
    return cells, volume


def _first_response_medians(filters: KPIFilters, scope: QuerySet) -> tuple[dict[date, float], dict[int, float]]:
    """The median first response per day created and per assignee. On PostgreSQL one
    query: a percentile per day over that day's stretch of the created_at index, and
    one per agent over the per-agent index, so that each sorts only its own tickets
    (one percentile per group over the range sorted every ticket of the range by day).
    (Unfiltered, tickets/selectors/kpi_durations.py reads them with the summary's
    percentiles, from the tickets of their middle buckets only.)"""
    created = scope.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if not is_postgres():
        per_day = created.annotate(day=TruncDate("created_at", tzinfo=filters.time_zone))
        return grouped_median(per_day, "day", "first_response_s"), grouped_median(
            created.filter(assignee__isnull=False), "assignee_id", "first_response_s"
        )
    days = filters.days()
    answered = scope.filter(first_response_s__isnull=False)
    one_agent = answered.filter(
        created_at__gte=filters.start, created_at__lt=filters.end, assignee_id=RawSQL("agents.id", ())
    )
    agent_sql, agent_params = one_agent.values("first_response_s").query.sql_with_params()
    median = "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY first_response_s) FROM ({}) AS answered"
    one_day = answered.filter(created_at__gte=RawSQL("days.day_start", ()), created_at__lt=RawSQL("days.day_end", ()))
    day_sql, day_params = one_day.values("first_response_s").query.sql_with_params()
    bounds = [datetime.combine(day, time.min, filters.time_zone) for day in [*days, days[-1] + timedelta(days=1)]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT days.day, NULL, ({median.format(day_sql)})
                FROM UNNEST(%s::date[], %s::timestamptz[], %s::timestamptz[]) AS days(day, day_start, day_end)
                UNION ALL
                SELECT NULL, agents.id, ({median.format(agent_sql)}) FROM {User._meta.db_table} AS agents""",
            [*day_params, days, bounds[:-1], bounds[1:], *agent_params],
        )
        rows = cursor.fetchall()
    by_day = {day: value for day, agent, value in rows if day is not None and value is not None}
    by_agent = {agent: value for day, agent, value in rows if agent is not None and value is not None}
    return by_day, by_agent


def _sum_by(cells: FCRCells, position: int) -> dict[Any, tuple[int, int]]:
    sums: dict[Any, tuple[int, int]] = {}
    for key, (n, fcr) in cells.items():
        total_n, total_fcr = sums.get(key[position], (0, 0))
        sums[key[position]] = (total_n + n, total_fcr + fcr)
    return sums


def kpi_detail(
    *, filters: KPIFilters, scope: QuerySet, edge: FCREdge, survey_counts: dict, durations: DurationFigures | None
) -> dict[str, Any]:
    """`durations`: the medians already read from the duration rollups, if they were."""
    cells, volume = _cells(filters=filters, scope=scope, edge=edge)
    if durations is not None:
        by_day, by_agent = durations.first_response_by_day, durations.first_response_by_agent
    else:
        by_day, by_agent = _first_response_medians(filters, scope)
    return {
        "trend": kpi_trend(filters=filters, first_response=by_day, cells=cells, volume=volume),
        "agents": kpi_agents(filters=filters, first_response=by_agent, cells=cells, survey_counts=survey_counts),
    }


def kpi_trend(
    *, filters: KPIFilters, first_response: dict[date, float], cells: FCRCells, volume: dict[date, int]
) -> list[dict[str, Any]]:
    """Per day: tickets created, their median first response, and FCR."""
    fcr_rows = _sum_by(cells, 0)
    days = []
    day = filters.date_from
    while day <= filters.date_to:
        judged, fcr = fcr_rows.get(day, (0, 0))
        days.append(
            {
                "date": day.isoformat(),
                "volume": volume.get(day, 0),
                "first_response_median_s": as_float(first_response.get(day)),
                "fcr_rate": rate(fcr, judged),
            }
        )
        day += timedelta(days=1)
    return days


def kpi_agents(
    *, filters: KPIFilters, first_response: dict[int, float], cells: FCRCells, survey_counts: dict
) -> list[dict[str, Any]]:
    """Per agent: public replies in the range, FCR of the tickets they resolved,
    median first response of their tickets created in the range, CSAT."""
    rows_sql, params = rollup_rows_sql(
        (KPIReplyDay, KPIReplyMonth),
        filters=ticket_filters_q(filters),
        span=RollupSpan.of(filters.date_from, filters.date_to),
        columns=("author_id", "replies"),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT author_id, SUM(replies) FROM ({rows_sql}) AS reply_rows GROUP BY author_id", params)
        replies = {author: int(n) for author, n in cursor.fetchall()}
    fcr_rows = _sum_by(cells, 1)
    fcr_rows.pop(None, None)  # tickets resolved unassigned belong to no agent
    csat_sums: dict[int, tuple[int, int]] = {}
    for (kind, score, agent), n in survey_counts.items():
        if kind == "csat" and agent is not None:
            total, answers = csat_sums.get(agent, (0, 0))
            csat_sums[agent] = (total + score * n, answers + n)
    csat = {agent: total / answers for agent, (total, answers) in csat_sums.items()}
    agent_ids = set(replies) | set(fcr_rows) | set(first_response) | set(csat)
    names = {user.pk: user.get_full_name() or user.get_username() for user in User.objects.filter(pk__in=agent_ids)}
    rows = []
    for agent_id in agent_ids:
        judged_n, fcr_n = fcr_rows.get(agent_id, (0, 0))
        rows.append(
            {
                "agent": agent_id,
                "name": names.get(agent_id, str(agent_id)),
                "replies": replies.get(agent_id, 0),
                "fcr_rate": rate(fcr_n, judged_n),
                "first_response_median_s": as_float(first_response.get(agent_id)),
                "csat": csat.get(agent_id),
            }
        )
    return sorted(rows, key=lambda row: (-row["replies"], row["name"]))
