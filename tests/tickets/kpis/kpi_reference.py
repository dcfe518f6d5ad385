"""The KPIs computed straight from the tickets, messages, chat sessions and survey
answers, with FCR tested on the messages themselves: the implementation before the
facts and rollups, kept as the oracle that the fast one must equal."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from tickets.models import Channel, ChatSessionLog, Message, Survey, Tag, Ticket

User = get_user_model()

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

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, self.time_zone)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min, self.time_zone)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def ticket_filters_q(filters: KPIFilters, prefix: str = "") -> Q:
    q = Q()
    if filters.channel:
        q &= Q(**{f"{prefix}channel": filters.channel})
    if filters.team_id is not None:
        q &= Q(**{f"{prefix}team_id": filters.team_id})
    if filters.agent_id is not None:
        q &= Q(**{f"{prefix}assignee_id": filters.agent_id})
    return q


def agent_replies() -> QuerySet:
    """The public agent replies that FCR counts (Ticket.agent_reply_count's)."""
    return Message.objects.filter(direction="out", is_automatic=False).exclude(
        delivery_status=Message.DeliveryStatus.AWAITING_APPROVAL
    )


def resolved_in_chat_session() -> Exists:
    """The ticket was resolved while one of its chat sessions was live, and every agent
    reply went out on the chat inside that session (before the resolution)."""
    outside = agent_replies().filter(ticket_id=OuterRef(OuterRef("pk"))).filter(
        Q(created_at__lt=OuterRef("started_at"))
        | Q(created_at__gt=OuterRef(OuterRef("resolved_at")))
        | ~Q(channel=Channel.CHAT)
    )
    live = ChatSessionLog.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=OuterRef("resolved_at")),
        ticket_id=OuterRef("pk"),
        started_at__lte=OuterRef("resolved_at"),
    )
    return Exists(live.filter(~Exists(outside)))


def repeat_contacts() -> QuerySet:
    """The customer's inbound contacts, on any channel, within the FCR window after the
    ticket's resolution (auto-replies and survey answers are not contacts)."""
    window = timedelta(days=settings.FCR_WINDOW_DAYS)
    return Message.objects.filter(
        customer_id=OuterRef("customer_id"),
        direction="in",
        is_auto_reply=False,
        is_automatic=False,
        created_at__gt=OuterRef("resolved_at"),
        created_at__lte=ExpressionWrapper(OuterRef("resolved_at") + window, output_field=DateTimeField()),
    )


def one_contact_replies() -> Q:
    """Exactly one public agent reply, or a chat resolved in its session however many."""
    return Q(agent_reply_count=1) | (Q(agent_reply_count__gt=1) & resolved_in_chat_session())


def fcr_condition() -> Q:
    """The FCR test of one resolved ticket, as a condition on Ticket rows."""
    return one_contact_replies() & Q(reopen_count=0) & ~Exists(repeat_contacts())


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _percentile_from_offset(queryset: QuerySet, field: str, percentile: float, count: int) -> float | None:
    """percentile_cont on databases without it: the two values around the position."""
    if not count:
        return None
    position = percentile * (count - 1)
    low = math.floor(position)
    values = list(queryset.filter(**{f"{field}__isnull": False}).order_by(field).values_list(field, flat=True)[low : low + 2])
    if len(values) == 1 or position == low:
        return float(values[0])
    return values[0] + (values[1] - values[0]) * (position - low)


def _percentile_aggregates(fields: tuple[str, ...], condition: Q) -> dict[str, Any]:
    aggregates: dict[str, Any] = {}
    for field in fields:
        has = condition & Q(**{f"{field}__isnull": False})
        aggregates[f"{field}__n"] = Count("pk", filter=has)
        if _is_postgres():
            aggregates[f"{field}__p50_p90"] = PercentilesCont(field, (0.5, 0.9), filter=has)
    return aggregates


def _time_summary(row: dict, queryset: QuerySet, fields: tuple[str, ...]) -> dict[str, Any]:
    wall, business = fields
    if _is_postgres():
        for field in fields:
            row[f"{field}__p50"], row[f"{field}__p90"] = row[f"{field}__p50_p90"] or (None, None)
    else:
        for field in fields:
            for name, p in (("p50", 0.5), ("p90", 0.9)):
                row[f"{field}__{name}"] = _percentile_from_offset(queryset, field, p, row[f"{field}__n"])
    return {
        "count": row[f"{wall}__n"],
        "median_s": _float(row[f"{wall}__p50"]),
        "p90_s": _float(row[f"{wall}__p90"]),
        "business_median_s": _float(row[f"{business}__p50"]),
        "business_p90_s": _float(row[f"{business}__p90"]),
    }


def _survey_summary(filters: KPIFilters) -> dict[str, Any]:
    ces_max = 5 if settings.HELPDESK_CES_SCALE == 5 else 7
    scales = {"csat": range(1, 6), "ces": range(1, ces_max + 1), "nps": range(0, 11)}
    answers = Survey.objects.filter(
        ticket_filters_q(filters, "ticket__"),
        status=Survey.Status.ANSWERED,
        answered_at__gte=filters.start,
        answered_at__lt=filters.end,
    )
    # At most 23 rows: one per kind and score.
    counts = {
        (kind, score): n
        for kind, score, n in answers.filter(Q(kind__in=["csat", "nps"]) | Q(kind="ces", scale_max=ces_max))
        .values_list("kind", "score")
        .annotate(n=Count("pk"))
        .order_by()
    }
    row = {f"{kind}_{score}": counts.get((kind, score), 0) for kind, scale in scales.items() for score in scale}

    def distribution(kind: str) -> tuple[dict[str, int], int, float | None]:
        counts = {str(score): row[f"{kind}_{score}"] for score in scales[kind]}
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
    now = now or timezone.now()
    window = timedelta(days=settings.FCR_WINDOW_DAYS)
    scope = Ticket.objects.filter(ticket_filters_q(filters))
    in_range = Q(created_at__gte=filters.start, created_at__lt=filters.end)
    resolved_in_range = Q(resolved_at__gte=filters.start, resolved_at__lt=filters.end)
    matured = Q(agent_initiated=False, resolved_at__lte=now - window)
    young = Q(agent_initiated=False, resolved_at__gt=now - window)
    fcr = fcr_condition()

    created = scope.filter(in_range)
    resolved = scope.filter(resolved_in_range)
    # Three passes, each over the tickets it is about (an index range or two), with an
    # aggregate per number: cheaper than one pass over every ticket that tests every
    # aggregate's FILTER on every row.
    row = created.aggregate(
        volume=Count("pk"),
        escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
        **{f"channel_{channel}": Count("pk", filter=Q(channel=channel)) for channel in Channel.values},
        **_percentile_aggregates(FIRST_RESPONSE_FIELDS, Q()),
    )
    row |= resolved.aggregate(
        resolved=Count("pk"),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        eligible=Count("pk", filter=matured),
        fcr=Count("pk", filter=matured & fcr),
        young=Count("pk", filter=young),
        young_fcr=Count("pk", filter=young & fcr),
        **_percentile_aggregates(RESOLUTION_FIELDS, Q()),
    )
    backlog_end = min(filters.end, now)
    active = Q(status__in=Ticket.ACTIVE_STATUSES)
    unresolved_at_end = Q(resolved_at__isnull=True) | Q(resolved_at__gte=backlog_end)
    backlog = scope.filter(active | unresolved_at_end).aggregate(
        now=Count("pk", filter=active),
        end_of_range=Count("pk", filter=Q(created_at__lt=backlog_end) & unresolved_at_end),
    )
    by_channel = {channel: row[f"channel_{channel}"] for channel in Channel.values}
    top_tags = list(
        Tag.objects.filter(tickets__in=created.values("pk"))
        .values("name")
        .annotate(tickets=Count("tickets"))
        .order_by("-tickets", "name")[:10]
    )
    result: dict[str, Any] = {
        "range": {"from": filters.date_from.isoformat(), "to": filters.date_to.isoformat(), "time_zone": settings.TIME_ZONE},
        "filters": {"channel": filters.channel, "team": filters.team_id, "agent": filters.agent_id},
        "volume": row["volume"],
        "volume_by_channel": by_channel,
        "fcr_rate": _rate(row["fcr"], row["eligible"]),
        "fcr": {
            "window_days": settings.FCR_WINDOW_DAYS,
            "resolved_first_contact": row["fcr"],
            "judged": row["eligible"],
            "provisional": {
                "rate": _rate(row["young_fcr"], row["young"]),
                "resolved_first_contact": row["young_fcr"],
                "resolved": row["young"],
            },
        },
        "first_response_time": _time_summary(row, created, FIRST_RESPONSE_FIELDS),
        "resolution_time": _time_summary(row, resolved, RESOLUTION_FIELDS),
        "resolved": row["resolved"],
        "reopened": row["reopened"],
        "reopen_rate": _rate(row["reopened"], row["resolved"]),
        "escalation_rate": _rate(row["escalated"], row["volume"]),
        "backlog": backlog,
        "top_tags": top_tags,
        **_survey_summary(filters),
    }
    if detail:
        fcr_cells = judged_fcr_by_day_and_agent(filters=filters, scope=scope, now=now)
        result["trend"] = kpi_trend(filters=filters, scope=scope, fcr_cells=fcr_cells)
        result["agents"] = kpi_agents(filters=filters, scope=scope, fcr_cells=fcr_cells)
    return result


FCRCells = dict[tuple[date, int | None], tuple[int, int]]


def judged_fcr_by_day_and_agent(*, filters: KPIFilters, scope: QuerySet, now: datetime) -> FCRCells:
    """(day resolved, assignee) -> (tickets judged, resolved on first contact): the FCR
    of the daily trend and of the agent table from one pass over the repeat-contact test."""
    window = timedelta(days=settings.FCR_WINDOW_DAYS)
    judged = scope.filter(
        resolved_at__gte=filters.start, resolved_at__lt=filters.end, agent_initiated=False, resolved_at__lte=now - window
    ).annotate(day=TruncDate("resolved_at", tzinfo=filters.time_zone))
    return {
        (day, agent): (n, fcr)
        for day, agent, n, fcr in judged.values("day", "assignee_id")
        .annotate(n=Count("pk"), fcr=Count("pk", filter=fcr_condition()))
        .order_by()
        .values_list("day", "assignee_id", "n", "fcr")
    }


def _sum_by(cells: FCRCells, position: int) -> dict[Any, tuple[int, int]]:
    sums: dict[Any, tuple[int, int]] = {}
    for key, (n, fcr) in cells.items():
        total_n, total_fcr = sums.get(key[position], (0, 0))
        sums[key[position]] = (total_n + n, total_fcr + fcr)
    return sums


def grouped_median(queryset: QuerySet, group: str, field: str) -> dict[Any, float]:
    """The median of `field` per value of the annotation or field `group`, in one query."""
    rows = queryset.filter(**{f"{field}__isnull": False})
    if _is_postgres():
        return {
            key: value
            for key, value in rows.values(group).annotate(m=PercentileCont(field, 0.5)).order_by().values_list(group, "m")
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


def kpi_trend(*, filters: KPIFilters, scope: QuerySet, fcr_cells: FCRCells) -> list[dict[str, Any]]:
    """Per day: tickets created, their median first response, tickets resolved and FCR."""
    tz = filters.time_zone
    created = scope.filter(created_at__gte=filters.start, created_at__lt=filters.end).annotate(
        day=TruncDate("created_at", tzinfo=tz)
    )
    if _is_postgres():
        # percentile_cont skips NULLs: the count and the median come from one pass.
        per_day = created.values("day").annotate(n=Count("pk"), m=PercentileCont("first_response_s", 0.5)).order_by()
        volume, first_response = {}, {}
        for day, n, median in per_day.values_list("day", "n", "m"):
            volume[day] = n
            if median is not None:
                first_response[day] = median
    else:
        volume = dict(created.values_list("day").annotate(n=Count("pk")).order_by())
        first_response = grouped_median(created, "day", "first_response_s")
    fcr_rows = _sum_by(fcr_cells, 0)
    days = []
    day = filters.date_from
    while day <= filters.date_to:
        judged, fcr = fcr_rows.get(day, (0, 0))
        days.append(
            {
                "date": day.isoformat(),
                "volume": volume.get(day, 0),
                "first_response_median_s": _float(first_response.get(day)),
                "fcr_rate": _rate(fcr, judged),
            }
        )
        day += timedelta(days=1)
    return days


def kpi_agents(*, filters: KPIFilters, scope: QuerySet, fcr_cells: FCRCells) -> list[dict[str, Any]]:
    """Per agent: public replies in the range, FCR of the tickets they resolved,
    median first response of their tickets created in the range, CSAT."""
    replies = dict(
        Message.objects.filter(
            ticket_filters_q(filters, "ticket__"),
            direction="out",
            is_automatic=False,
            author__isnull=False,
            created_at__gte=filters.start,
            created_at__lt=filters.end,
        )
        .values_list("author_id")
        # COUNT(*), not COUNT(id): the partial index message_agent_reply_idx holds every
        # column this reads, so PostgreSQL counts from the index alone.
        .annotate(n=Count("*"))
        .order_by()
    )
    fcr_rows = _sum_by(fcr_cells, 1)
    fcr_rows.pop(None, None)  # tickets resolved unassigned belong to no agent
    created = scope.filter(created_at__gte=filters.start, created_at__lt=filters.end, assignee__isnull=False)
    first_response = grouped_median(created, "assignee_id", "first_response_s")
    csat = dict(
        Survey.objects.filter(
            ticket_filters_q(filters, "ticket__"),
            kind=Survey.Kind.CSAT,
            status=Survey.Status.ANSWERED,
            answered_at__gte=filters.start,
            answered_at__lt=filters.end,
            ticket__assignee__isnull=False,
        )
        .values_list("ticket__assignee_id")
        .annotate(avg=Avg("score"))
        .order_by()
    )
    agent_ids = set(replies) | set(fcr_rows) | set(first_response) | set(csat)
    names = {
        user.pk: user.get_full_name() or user.get_username() for user in User.objects.filter(pk__in=agent_ids)
    }
    rows = []
    for agent_id in agent_ids:
        judged_n, fcr_n = fcr_rows.get(agent_id, (0, 0))
        rows.append(
            {
                "agent": agent_id,
                "name": names.get(agent_id, str(agent_id)),
                "replies": replies.get(agent_id, 0),
                "fcr_rate": _rate(fcr_n, judged_n),
                "first_response_median_s": _float(first_response.get(agent_id)),
                "csat": _float(csat.get(agent_id)),
            }
        )
    return sorted(rows, key=lambda row: (-row["replies"], row["name"]))
