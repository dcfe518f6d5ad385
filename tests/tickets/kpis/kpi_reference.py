"""The KPIs computed straight from the tickets, messages, chat sessions and survey
answers, with FCR tested on the messages themselves: the implementation before the
facts and rollups, kept as the oracle that the fast one must equal."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Count,
    Exists,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from tickets.models import Channel, Message, Survey, Tag, Ticket
from tickets.selectors.fcr import one_contact_replies, repeat_contacts
from tickets.selectors.kpi_percentiles import (
    FIRST_RESPONSE_FIELDS,
    RESOLUTION_FIELDS,
    PercentileCont,
    grouped_median,
)
from tickets.selectors.kpi_percentiles import as_float as _float
from tickets.selectors.kpi_percentiles import (
    is_postgres as _is_postgres,
)
from tickets.selectors.kpi_percentiles import (
    percentile_aggregates as _percentile_aggregates,
)
from tickets.selectors.kpi_percentiles import (
    time_summary as _time_summary,
)
from tickets.selectors.kpis import KPIFilters, ticket_filters_q

User = get_user_model()


def fcr_condition() -> Q:
    """The FCR test of one resolved ticket, as a condition on Ticket rows."""
    return one_contact_replies() & Q(reopen_count=0) & ~Exists(repeat_contacts())


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


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
        "range": {
            "from": filters.date_from.isoformat(),
            "to": filters.date_to.isoformat(),
            "time_zone": settings.TIME_ZONE,
        },
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
        "escalated": row["escalated"],
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
        resolved_at__gte=filters.start,
        resolved_at__lt=filters.end,
        agent_initiated=False,
        resolved_at__lte=now - window,
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
    names = {user.pk: user.get_full_name() or user.get_username() for user in User.objects.filter(pk__in=agent_ids)}
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
