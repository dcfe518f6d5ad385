"""The backlog: tickets active now, and tickets unresolved at the end of a range."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Subquery, Value
from django.utils import timezone

from tickets.models import InboxCounter, KPITicketDay, KPITicketMonth, Ticket
from tickets.selectors.kpi_spans import RollupSpan, rollup_rows_sql


def _count(queryset: QuerySet) -> Subquery:
    """COUNT(*) of the queryset as a scalar subquery (an annotation, so no GROUP BY)."""
    return Subquery(
        queryset.order_by().annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField())).values("n")
    )


def backlog_from_tickets(scope: QuerySet, *, backlog_end: datetime) -> dict[str, int]:
    """Active tickets now, and tickets unresolved at the end of the range, where the
    inbox counters are not kept (SQLite); backlog_from_counts is proven equal to it.
    The tickets active or never resolved come from the partial index
    ticket_kpi_backlog_idx (index only, however many tickets were ever resolved);
    those resolved since the end and no longer active from the resolved_at index, a
    range that is empty when the range ends today."""
    active = Q(status__in=Ticket.ACTIVE_STATUSES)
    created_before_end = Q(created_at__lt=backlog_end)
    unresolved_at_end = Q(resolved_at__isnull=True) | Q(resolved_at__gte=backlog_end)
    resolved_since_end = scope.filter(created_before_end, ~active, resolved_at__gte=backlog_end)
    return scope.filter(active | Q(resolved_at__isnull=True)).aggregate(
        now=Count("pk", filter=active),
        end_of_range=Count("pk", filter=created_before_end & unresolved_at_end) + _count(resolved_since_end),
    )


def backlog_from_counts(
    *, ticket_filter: Q, scope: QuerySet, backlog_end: datetime, time_zone: ZoneInfo
) -> dict[str, int]:
    """backlog_from_tickets' figures without reading the backlog's tickets. Now: the exact inbox
    counters (tickets/models/counters.py). At the end: the tickets created before it
    less those resolved before it, from the rollups for the days before its day and
    from the tickets of its day. A ticket resolved before its creation stays counted
    once; those are the only later tickets read."""
    end_day = timezone.localtime(backlog_end, time_zone).date()
    day_start = datetime.combine(end_day, time.min, time_zone)
    rows_sql, rows_params = rollup_rows_sql(
        (KPITicketDay, KPITicketMonth),
        filters=ticket_filter,
        span=RollupSpan.of(date.min, end_day - timedelta(days=1)),
        columns=("created", "resolved"),
    )
    active = InboxCounter.objects.filter(ticket_filter, status__in=Ticket.ACTIVE_STATUSES)
    active_sql, active_params = active.values("n").order_by().query.sql_with_params()
    before_end = Q(created_at__lt=backlog_end)
    resolved_on_day = Q(resolved_at__gte=day_start, resolved_at__lt=backlog_end)
    since_day = (
        # Only the rows each count needs: a past range's end must not read every
        # ticket since (the third part is the partial index ticket_resolved_early_idx).
        scope.filter(
            Q(created_at__gte=day_start, created_at__lt=backlog_end)
            | Q(resolved_at__gte=day_start, resolved_at__lt=backlog_end)
            | (Q(created_at__gte=backlog_end, resolved_at__lt=day_start) & Q(resolved_at__lt=F("created_at")))
        )
        .order_by()
        .annotate(one=Value(1))
        .values("one")
        .annotate(
            created=Count("pk", filter=before_end & Q(created_at__gte=day_start)),
            resolved=Count("pk", filter=before_end & resolved_on_day),
            resolved_before_created=Count("pk", filter=~before_end & Q(resolved_at__lt=day_start)),
        )
        .values("created", "resolved", "resolved_before_created")
    )
    since_sql, since_params = since_day.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT (SELECT COALESCE(SUM(n), 0) FROM ({active_sql}) AS counters),
                       (SELECT COALESCE(SUM(created), 0) - COALESCE(SUM(resolved), 0) FROM ({rows_sql}) AS days),
                       since.created - since.resolved + since.resolved_before_created
                FROM ({since_sql}) AS since""",
            [*active_params, *rows_params, *since_params],
        )
        now, before_day, on_day = cursor.fetchone()
    return {"now": int(now), "end_of_range": int(before_day) + int(on_day)}
