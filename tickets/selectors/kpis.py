"""The supervisors' numbers: counts from the rollups (tickets/models/kpis.py: the
monthly rows of the range's whole months, the daily rows of the rest, as
tickets/selectors/kpi_spans.py chooses), percentiles from the tickets' facts, in a
constant number of queries whatever the range or the number of tickets.

Which date each number is about (dates are days in settings.TIME_ZONE, `to` included):
- volume, volume by channel, top tags, escalation rate and first response time:
  tickets *created* in the range;
- resolution time, reopen rate and FCR: tickets *resolved* in the range;
- CSAT, CES and NPS: answers *given* in the range;
- backlog: active tickets now, and at the end of the range.
The filters channel, team and agent (the assignee) apply to the tickets.

FCR is tickets/selectors/fcr.py's definition, kept on each ticket by the write path.
A ticket resolved less than the window ago cannot be judged yet: `fcr_rate` counts
only tickets whose window has passed, and `fcr.provisional` reports the younger ones
separately (their FCR so far). The rollups count by day; the one day on which the
window's edge falls (`now` minus the window) is split from the tickets themselves.
Tickets an agent opened (outbound first) were no contact and are left out.

Values are unrounded: only what a person reads (the dashboard, the report) is
rounded. tickets/selectors/kpi_rows.py lists the tickets and answers behind each
figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from tickets.models import (
    Channel,
    KPISurveyDay,
    KPISurveyMonth,
    KPITagDay,
    KPITagMonth,
    KPITicketDay,
    KPITicketMonth,
    Tag,
    Ticket,
)
from tickets.selectors.fcr import fcr_condition
from tickets.selectors.kpi_backlog import backlog_from_counts, backlog_from_tickets
from tickets.selectors.kpi_durations import DurationFigures, duration_figures
from tickets.selectors.kpi_percentiles import (
    FIRST_RESPONSE_FIELDS,
    RESOLUTION_FIELDS,
    percentile_aggregates,
    time_summary,
)
from tickets.selectors.kpi_spans import RollupSpan, rollup_rows_sql
from tickets.services.inbox_counters import counters_supported
from tickets.services.kpi_rollups import kpi_rollups_flush


@dataclass(frozen=True, kw_only=True)
class KPIFilters:
    date_from: date
    date_to: date
    channel: str | None = None
    team_id: int | None = None
    agent_id: int | None = None

    @property
    def time_zone(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)

    def days(self) -> list[date]:
        return [self.date_from + timedelta(days=n) for n in range((self.date_to - self.date_from).days + 1)]

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, self.time_zone)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min, self.time_zone)


def ticket_filters_q(filters: KPIFilters, prefix: str = "") -> Q:
    """The filters on tickets (`prefix` "ticket__" from a related row); the rollups
    carry the same columns."""
    q = Q()
    if filters.channel:
        q &= Q(**{f"{prefix}channel": filters.channel})
    if filters.team_id is not None:
        q &= Q(**{f"{prefix}team_id": filters.team_id})
    if filters.agent_id is not None:
        q &= Q(**{f"{prefix}assignee_id": filters.agent_id})
    return q


def filters_given(filters: KPIFilters) -> dict[str, Any]:
    """The channel, team and agent filters given, by the duration rollups' names for
    them (tickets/services/kpi_durations.py's DIMENSIONS): they count every ticket
    and each value of one of them, not combinations."""
    given = {"channel": filters.channel or None, "team": filters.team_id, "assignee": filters.agent_id}
    return {dimension: value for dimension, value in given.items() if value is not None}


def rollup_days(model: type, filters: KPIFilters) -> QuerySet:
    return model.objects.filter(ticket_filters_q(filters), day__gte=filters.date_from, day__lte=filters.date_to)


@dataclass(frozen=True)
class FCREdge:
    """The day on which the FCR window's edge falls: the rollup days before it are
    judged, those after it are provisional, and its own tickets are split at `cutoff`."""

    cutoff: datetime
    day: date
    start: datetime
    end: datetime

    @classmethod
    def at(cls, now: datetime, time_zone: ZoneInfo) -> FCREdge:
        cutoff = now - timedelta(days=settings.FCR_WINDOW_DAYS)
        day = timezone.localtime(cutoff, time_zone).date()
        start = datetime.combine(day, time.min, time_zone)
        return cls(cutoff, day, start, datetime.combine(day + timedelta(days=1), time.min, time_zone))

    def tickets(self, resolved: QuerySet) -> QuerySet:
        return resolved.filter(agent_initiated=False, resolved_at__gte=self.start, resolved_at__lt=self.end)

    def counts(self) -> dict[str, Count]:
        """Judged and FCR, provisional and FCR, of the edge day's tickets (as aggregates)."""
        edge = Q(agent_initiated=False, resolved_at__gte=self.start, resolved_at__lt=self.end)
        matured, young = edge & Q(resolved_at__lte=self.cutoff), edge & Q(resolved_at__gt=self.cutoff)
        return {
            "edge_judged": Count("pk", filter=matured),
            "edge_fcr": Count("pk", filter=matured & fcr_condition()),
            "edge_young": Count("pk", filter=young),
            "edge_young_fcr": Count("pk", filter=young & fcr_condition()),
        }


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _ticket_counts(filters: KPIFilters, span: RollupSpan, edge: FCREdge) -> dict[str, int]:
    """The ticket rollups' sums over the range, in one statement. A month row other
    than the edge's lies wholly before or after the edge day."""
    columns = ("channel", "created", "escalated", "resolved", "reopened", "contact_resolved", "contact_fcr")
    rows_sql, rows_params = rollup_rows_sql(
        (KPITicketDay, KPITicketMonth), filters=ticket_filters_q(filters), span=span, columns=columns
    )
    # (name, column, condition, its parameter): plain CASE, which every database has.
    sums = [
        ("volume", "created", None, None),
        ("escalated", "escalated", None, None),
        *[(f"channel_{channel}", "created", "channel = %s", channel) for channel in Channel.values],
        ("resolved", "resolved", None, None),
        ("reopened", "reopened", None, None),
        ("eligible", "contact_resolved", "period < %s", edge.day),
        ("fcr", "contact_fcr", "period < %s", edge.day),
        ("young", "contact_resolved", "period > %s", edge.day),
        ("young_fcr", "contact_fcr", "period > %s", edge.day),
    ]
    selects = [
        f"COALESCE(SUM({column}), 0)"
        if condition is None
        else f"COALESCE(SUM(CASE WHEN {condition} THEN {column} END), 0)"
        for _name, column, condition, _param in sums
    ]
    params = [param for _name, _column, condition, param in sums if condition is not None]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)} FROM ({rows_sql}) AS ticket_rows", [*params, *rows_params])
        values = cursor.fetchone()
    return {name: int(value) for (name, *_rest), value in zip(sums, values, strict=True)}


def _survey_counts(filters: KPIFilters, ces_max: int) -> dict[tuple[str, int, int | None], int]:
    """(kind, score, assignee) -> answers: at most 23 rows per agent."""
    asked = Q(kind__in=["csat", "nps"]) | Q(kind="ces", scale_max=ces_max)
    rows_sql, params = rollup_rows_sql(
        (KPISurveyDay, KPISurveyMonth),
        filters=ticket_filters_q(filters) & asked,
        span=RollupSpan.of(filters.date_from, filters.date_to),
        columns=("kind", "score", "assignee_id", "answers"),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT kind, score, assignee_id, SUM(answers) FROM ({rows_sql}) AS survey_rows"
            " GROUP BY kind, score, assignee_id",
            params,
        )
        return {(kind, score, assignee): int(n) for kind, score, assignee, n in cursor.fetchall()}


def _top_tags(filters: KPIFilters, span: RollupSpan) -> list[dict[str, Any]]:
    """The ten tags on most tickets created in the range, each name looked up once
    after the sum."""
    rows_sql, params = rollup_rows_sql(
        (KPITagDay, KPITagMonth), filters=ticket_filters_q(filters), span=span, columns=("tag_id", "tickets")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT (SELECT name FROM {Tag._meta.db_table} WHERE id = tag_rows.tag_id) AS name,
                       SUM(tag_rows.tickets) AS tickets
                FROM ({rows_sql}) AS tag_rows GROUP BY tag_rows.tag_id ORDER BY tickets DESC, name LIMIT 10""",
            params,
        )
        return [{"name": name, "tickets": int(tickets)} for name, tickets in cursor.fetchall()]


def survey_summary(counts: dict[tuple[str, int, int | None], int], ces_max: int) -> dict[str, Any]:
    scales = {"csat": range(1, 6), "ces": range(1, ces_max + 1), "nps": range(0, 11)}
    totals: dict[tuple[str, int], int] = {}
    for (kind, score, _assignee), n in counts.items():
        totals[kind, score] = totals.get((kind, score), 0) + n

    def distribution(kind: str) -> tuple[dict[str, int], int, float | None]:
        counts = {str(score): totals.get((kind, score), 0) for score in scales[kind]}
        total = sum(counts.values())
        average = sum(int(s) * n for s, n in counts.items()) / total if total else None
        return counts, total, average

    csat, csat_n, csat_avg = distribution("csat")
    ces, ces_n, ces_avg = distribution("ces")
    nps, nps_n, _ = distribution("nps")
    promoters = nps["9"] + nps["10"]
    detractors = sum(nps[str(score)] for score in range(0, 7))
    return {
        "csat": {
            "average": csat_avg,
            "responses": csat_n,
            "distribution": csat,
            "satisfied_pct": 100 * (csat["4"] + csat["5"]) / csat_n if csat_n else None,
        },
        "ces": {"scale": ces_max, "average": ces_avg, "responses": ces_n, "distribution": ces},
        "nps": {
            "score": 100 * (promoters - detractors) / nps_n if nps_n else None,
            "responses": nps_n,
            "promoters": promoters,
            "passives": nps_n - promoters - detractors,
            "detractors": detractors,
            "distribution": nps,
        },
    }


def kpi_summary(*, filters: KPIFilters, now: datetime | None = None, detail: bool = False) -> dict[str, Any]:
    """Every number of the KPI API. `detail` adds the daily trend and the agent table."""
    from tickets.selectors.kpi_detail import kpi_detail

    now = now or timezone.now()
    # Days that changes made stale are recomputed first: what is read is exact.
    kpi_rollups_flush()
    edge = FCREdge.at(now, filters.time_zone)
    scope = Ticket.objects.filter(ticket_filters_q(filters))
    created = scope.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    resolved = scope.filter(resolved_at__gte=filters.start, resolved_at__lt=filters.end)

    span = RollupSpan.of(filters.date_from, filters.date_to, split_day=edge.day)

    row: dict[str, Any] = _ticket_counts(filters, span, edge)
    durations: DurationFigures | None = None
    given = filters_given(filters)
    if len(given) > 1:
        row |= created.aggregate(**percentile_aggregates(FIRST_RESPONSE_FIELDS, Q()))
        row |= resolved.aggregate(**percentile_aggregates(RESOLUTION_FIELDS, Q()), **edge.counts())
    else:
        durations = duration_figures(
            start=filters.start,
            end=filters.end,
            span=RollupSpan.of(filters.date_from, filters.date_to),
            days=filters.days() if detail and not given else None,
            one_filter=next(iter(given.items()), None),
        )
        row |= durations.row
        # Only the edge day's tickets: its own index range, not the whole range's.
        row |= resolved.filter(resolved_at__gte=edge.start, resolved_at__lt=edge.end).aggregate(**edge.counts())
    judged, fcr = row["eligible"] + row["edge_judged"], row["fcr"] + row["edge_fcr"]
    young, young_fcr = row["young"] + row["edge_young"], row["young_fcr"] + row["edge_young_fcr"]

    backlog_end = min(filters.end, now)
    if counters_supported():
        backlog = backlog_from_counts(
            ticket_filter=ticket_filters_q(filters), scope=scope, backlog_end=backlog_end, time_zone=filters.time_zone
        )
    else:
        backlog = backlog_from_tickets(scope, backlog_end=backlog_end)
    top_tags = _top_tags(filters, RollupSpan.of(filters.date_from, filters.date_to))
    ces_max = 5 if settings.HELPDESK_CES_SCALE == 5 else 7
    survey_counts = _survey_counts(filters, ces_max)
    result: dict[str, Any] = {
        "range": {
            "from": filters.date_from.isoformat(),
            "to": filters.date_to.isoformat(),
            "time_zone": settings.TIME_ZONE,
        },
        "filters": {"channel": filters.channel, "team": filters.team_id, "agent": filters.agent_id},
        "volume": row["volume"],
        "volume_by_channel": {channel: row[f"channel_{channel}"] for channel in Channel.values},
        "fcr_rate": rate(fcr, judged),
        "fcr": {
            "window_days": settings.FCR_WINDOW_DAYS,
            "resolved_first_contact": fcr,
            "judged": judged,
            "provisional": {"rate": rate(young_fcr, young), "resolved_first_contact": young_fcr, "resolved": young},
        },
        "first_response_time": time_summary(row, created, FIRST_RESPONSE_FIELDS),
        "resolution_time": time_summary(row, resolved, RESOLUTION_FIELDS),
        "resolved": row["resolved"],
        "reopened": row["reopened"],
        "reopen_rate": rate(row["reopened"], row["resolved"]),
        "escalated": row["escalated"],
        "escalation_rate": rate(row["escalated"], row["volume"]),
        "backlog": backlog,
        "top_tags": top_tags,
        **survey_summary(survey_counts, ces_max),
    }
    if detail:
        # A filtered call's trend and agent table rank their own tickets.
        durations = None if given else durations
        result |= kpi_detail(filters=filters, scope=scope, edge=edge, survey_counts=survey_counts, durations=durations)
    return result


# (CSV header, key of the row) for the export of one row per ticket.
KPI_TICKET_COLUMNS: list[tuple[str, str]] = [
    ("ticket", "pk"), ("created_at", "created_at"), ("channel", "channel"), ("status", "status"),
    ("priority", "priority"), ("team", "team__name"), ("assignee", "assignee__username"),
    ("first_response_s", "first_response_s"), ("first_response_business_s", "first_response_business_s"),
    ("resolved_at", "resolved_at"), ("resolution_s", "resolution_s"), ("resolution_business_s", "resolution_business_s"),
    ("agent_replies", "agent_reply_count"), ("reopens", "reopen_count"), ("escalated", "escalated"), ("fcr", "fcr"),
]  # fmt: skip


def kpi_ticket_rows(*, filters: KPIFilters, now: datetime | None = None) -> QuerySet:
    """The tickets created in the range with their KPI facts, as dicts, oldest first.
    `fcr` is yes or no once the repeat-contact window has passed, empty before."""
    now = now or timezone.now()
    judged = Q(
        resolved_at__isnull=False,
        agent_initiated=False,
        resolved_at__lte=now - timedelta(days=settings.FCR_WINDOW_DAYS),
    )
    return (
        Ticket.objects.filter(ticket_filters_q(filters), created_at__gte=filters.start, created_at__lt=filters.end)
        .annotate(
            escalated=Case(
                When(escalated_at__isnull=False, then=Value("yes")), default=Value("no"), output_field=CharField()
            ),
            fcr=Case(
                When(judged & fcr_condition(), then=Value("yes")),
                When(judged, then=Value("no")),
                default=Value(""),
                output_field=CharField(),
            ),
        )
        .values(*[key for _header, key in KPI_TICKET_COLUMNS])
        .order_by("created_at", "pk")
    )
