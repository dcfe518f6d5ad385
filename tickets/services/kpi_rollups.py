"""The daily KPI rollups (tickets/models/kpis.py), kept exact.

A change that moves a number writes a KPIDirtyDay row for each day it touches, in
its own transaction. The refresh claims the stale days (DELETE ... RETURNING, so a
change committed meanwhile keeps its row for the next refresh) and recomputes those
days of every rollup from the tickets' facts, under an advisory lock so that two
processes never interleave; the months of those days move by the difference between
the days' new and old rows (tickets/services/kpi_month_rollups.py). It runs from
Celery beat and before every KPI read, so reads are always exact.
`rebuild_kpi_rollups()` recomputes everything (after a bulk load) and
`kpi_rollups_differences()` (kpi_rollups_check.py) proves the stored rows equal a
full recomputation (`manage.py rebuild_kpi_rollups --check`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from tickets.models import (
    KPIDirtyDay,
    KPIDurationDay,
    KPIFirstResponseDay,
    KPIReplyDay,
    KPISurveyDay,
    KPITagDay,
    KPITicketDay,
    Message,
    Survey,
    Ticket,
)
from tickets.selectors.fcr import fcr_condition
from tickets.services.kpi_durations import DURATION_COLUMNS, duration_rows, first_response_median_rows
from tickets.services.kpi_month_rollups import (
    MONTH_ROLLUPS,
    kpi_month_delta_parts,
    kpi_month_statements,
    month_of,
)

# pg_advisory_xact_lock key of the refresh ("KPIROLUP" read as a number).
REFRESH_LOCK = 0x4B5049524F4C5550
DIMENSIONS = ("day", "channel", "team_id", "assignee_id")
# Inside `kpi_days_marked_once`, the days already marked.
_marked_days: ContextVar[set[date] | None] = ContextVar("kpi_marked_days", default=None)


def _time_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, _time_zone()).date()


def kpi_days_mark(moments: Iterable[datetime | date | None]) -> None:
    """The days (or the days of these moments) go stale, in the current transaction."""
    if rows := kpi_day_marks(moments):
        KPIDirtyDay.objects.bulk_create(rows)


def kpi_day_marks(moments: Iterable[datetime | date | None]) -> list[KPIDirtyDay]:
    """kpi_days_mark's rows, unsaved, for a caller that inserts them with its own
    (tickets.services.rows_insert); they count as written."""
    days = {
        moment if not isinstance(moment, datetime) else local_day(moment) for moment in moments if moment is not None
    }
    marked = _marked_days.get()
    if marked is not None:
        days -= marked
        marked |= days
    return [KPIDirtyDay(day=day) for day in sorted(days)]


@contextmanager
def kpi_days_marked_once() -> Iterator[None]:
    """Each day is marked once inside, however many times the change marks it (a ticket
    opened with its first reply marks its day twice). Use it inside one transaction."""
    if _marked_days.get() is not None:
        yield
        return
    token = _marked_days.set(set())
    try:
        yield
    finally:
        _marked_days.reset(token)


def kpi_ticket_days_mark(*, ticket_ids: Iterable[int], with_replies_and_answers: bool = False) -> None:
    """The days a ticket is counted on: created and resolved; and, for a change of its
    channel, team or assignee, the days of its agents' replies and survey answers."""
    ids = list(ticket_ids)
    moments: list[datetime | date | None] = []
    for created, resolved in Ticket.objects.filter(pk__in=ids).values_list("created_at", "resolved_at"):
        moments += [created, resolved]
    if with_replies_and_answers:
        replies = _replies().filter(ticket_id__in=ids).annotate(r_day=_day("created_at"))
        answers = _answers().filter(ticket_id__in=ids).annotate(r_day=_day("answered_at"))
        days = replies.values_list("r_day", flat=True).union(answers.values_list("r_day", flat=True))
        moments += [date.fromisoformat(day) if isinstance(day, str) else day for day in days]
    kpi_days_mark(moments)


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=_time_zone())


def _replies() -> QuerySet:
    return Message.objects.filter(direction="out", is_automatic=False, author__isnull=False)


def _answers() -> QuerySet:
    return Survey.objects.filter(status=Survey.Status.ANSWERED, score__isnull=False)


Within = Callable[[str], Q]


def within_days(days: list[date] | None) -> Within:
    """A condition "field falls on one of `days`" (every day when None), as index
    ranges: one per run of consecutive days."""

    def within(field: str) -> Q:
        condition = Q(**{f"{field}__isnull": False})
        if days is None:
            return condition
        runs: list[list[date]] = []
        for day in sorted(set(days)):
            if runs and day == runs[-1][1] + timedelta(days=1):
                runs[-1][1] = day
            else:
                runs.append([day, day])
        tz = _time_zone()
        any_run = Q()
        for first, last in runs:
            start = datetime.combine(first, time.min, tz)
            end = datetime.combine(last + timedelta(days=1), time.min, tz)
            any_run |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
        return condition & any_run

    return within


def _ticket_dimensions(prefix: str = "") -> dict:
    return {
        "r_channel": F(f"{prefix}channel"),
        "r_team": F(f"{prefix}team_id"),
        "r_assignee": F(f"{prefix}assignee_id"),
    }


GROUP = ("r_day", "r_channel", "r_team", "r_assignee")


def _ticket_rows(within: Within) -> tuple[str, list]:
    zero = Value(0)
    created = (
        Ticket.objects.filter(within("created_at"))
        .annotate(r_day=_day("created_at"), **_ticket_dimensions())
        .values(*GROUP)
        .annotate(
            r_created=Count("pk"),
            r_escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
            r_resolved=zero,
            r_reopened=zero,
            r_contact_resolved=zero,
            r_contact_fcr=zero,
        )  # fmt: skip
        .order_by()
    )
    contact = Q(agent_initiated=False)
    resolved = (
        Ticket.objects.filter(within("resolved_at"))
        .annotate(r_day=_day("resolved_at"), **_ticket_dimensions())
        .values(*GROUP)
        .annotate(
            r_created=zero,
            r_escalated=zero,
            r_resolved=Count("pk"),
            r_reopened=Count("pk", filter=Q(reopen_count__gt=0)),
            r_contact_resolved=Count("pk", filter=contact),
            r_contact_fcr=Count("pk", filter=contact & fcr_condition()),
        )  # fmt: skip
        .order_by()
    )
    sql, params = created.union(resolved, all=True).query.sql_with_params()
    sums = ", ".join(
        f"SUM({name})"
        for name in ("r_created", "r_escalated", "r_resolved", "r_reopened", "r_contact_resolved", "r_contact_fcr")
    )
    group = ", ".join(GROUP)
    return f"SELECT {group}, {sums} FROM ({sql}) AS both_sides GROUP BY {group}", list(params)


def _grouped_rows(queryset: QuerySet, columns: tuple[str, ...]) -> tuple[str, list]:
    sql, params = queryset.values(*columns).annotate(r_n=Count("*")).order_by().query.sql_with_params()
    return f"SELECT {', '.join(columns)}, r_n FROM ({sql}) AS grouped", list(params)


def _survey_rows(within: Within) -> tuple[str, list]:
    answers = (
        _answers()
        .filter(within("answered_at"))
        .annotate(
            r_day=_day("answered_at"),
            **_ticket_dimensions("ticket__"),
            r_kind=F("kind"),
            r_scale=F("scale_max"),
            r_score=F("score"),
        )
    )
    return _grouped_rows(answers, (*GROUP, "r_kind", "r_scale", "r_score"))


def _reply_rows(within: Within) -> tuple[str, list]:
    replies = (
        _replies()
        .filter(within("created_at"))
        .annotate(r_day=_day("created_at"), **_ticket_dimensions("ticket__"), r_author=F("author_id"))
    )
    return _grouped_rows(replies, (*GROUP, "r_author"))


def _tag_rows(within: Within) -> tuple[str, list]:
    tagged = Ticket.tags.through.objects.filter(within("ticket__created_at")).annotate(
        r_day=_day("ticket__created_at"), **_ticket_dimensions("ticket__"), r_tag=F("tag_id")
    )
    return _grouped_rows(tagged, (*GROUP, "r_tag"))


@dataclass(frozen=True)
class Rollup:
    model: type
    columns: tuple[str, ...]
    rows: Callable[[Within], tuple[str, list]]

    @property
    def table(self) -> str:
        return self.model._meta.db_table


ROLLUPS = (
    Rollup(KPITicketDay, (*DIMENSIONS, "created", "escalated", "resolved", "reopened", "contact_resolved", "contact_fcr"), _ticket_rows),
    Rollup(KPISurveyDay, (*DIMENSIONS, "kind", "scale_max", "score", "answers"), _survey_rows),
    Rollup(KPIReplyDay, (*DIMENSIONS, "author_id", "replies"), _reply_rows),
    Rollup(KPITagDay, (*DIMENSIONS, "tag_id", "tickets"), _tag_rows),
    Rollup(KPIDurationDay, DURATION_COLUMNS, lambda within: duration_rows(within, _day)),
    Rollup(KPIFirstResponseDay, ("day", "median_s"), lambda within: first_response_median_rows(within, _day)),
)  # fmt: skip


def _recompute_statements(days: list[date] | None) -> list[tuple[str, list]]:
    within = within_days(days)
    statements = []
    for rollup in ROLLUPS:
        if days is None:
            statements.append((f"DELETE FROM {rollup.table}", []))
        else:
            statements.append(
                (f"DELETE FROM {rollup.table} WHERE day IN ({', '.join(['%s'] * len(days))})", list(days))
            )
        sql, params = rollup.rows(within)
        statements.append((f"INSERT INTO {rollup.table} ({', '.join(rollup.columns)}) {sql}", params))
    return statements


def _refresh_statement(days: list[date]) -> tuple[str, list]:
    """PostgreSQL: the days' recomputation and their months' update as one statement.
    Each month rollup's daily deletes and inserts return their rows, whose difference
    the months take: a changed ticket touches a few month rows, where summing the
    months again reads every daily row of them."""
    within = within_days(days)
    month_rollups = {month_rollup.day_model: month_rollup for month_rollup in MONTH_ROLLUPS}
    months = sorted({month_of(day) for day in days})
    parts: list[str] = []
    params: list = []
    for n, rollup in enumerate(ROLLUPS):
        columns = ", ".join(rollup.columns)
        month_rollup = month_rollups.get(rollup.model)
        returning = f" RETURNING {columns}" if month_rollup else ""
        parts.append(
            f"old{n} AS (DELETE FROM {rollup.table} WHERE day IN ({', '.join(['%s'] * len(days))}){returning})"
        )
        params += days
        sql, rows_params = rollup.rows(within)
        parts.append(f"new{n} AS (INSERT INTO {rollup.table} ({columns}) {sql}{returning})")
        params += rows_params
        if month_rollup:
            for part, part_params in kpi_month_delta_parts(month_rollup, f"old{n}", f"new{n}", f"month{n}", months):
                parts.append(part)
                params += part_params
    return f"WITH {', '.join(parts)} SELECT 1", params


def _execute(statements: list[tuple[str, list]]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip: the deletes and inserts as data-modifying CTEs of one
            # statement, which all see the same snapshot (an insert never meets the
            # delete of its own table).
            parts = [f"s{n} AS ({sql})" for n, (sql, _params) in enumerate(statements)]
            cursor.execute(f"WITH {', '.join(parts)} SELECT 1", [p for _sql, params in statements for p in params])
        else:
            for sql, params in statements:
                cursor.execute(sql, params)


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])


def _claim_stale_days() -> list[date]:
    """Deletes the stale-day rows this transaction sees and returns their days; on
    PostgreSQL it takes the refresh lock in the same statement when there are any.
    (A claim needs no lock: a row another refresh deleted first is skipped. The
    recomputation that follows does, and its statements start after the lock.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH claimed AS (DELETE FROM {KPIDirtyDay._meta.db_table} RETURNING day)"
                " SELECT DISTINCT day, pg_advisory_xact_lock(%s) IS NULL FROM claimed",
                [REFRESH_LOCK],
            )
            return sorted(row[0] for row in cursor.fetchall())
    # SQLite has one writer at a time: what it reads is what it deletes.
    rows = list(KPIDirtyDay.objects.values_list("pk", "day"))
    KPIDirtyDay.objects.filter(pk__lte=max((pk for pk, _day in rows), default=0)).delete()
    return sorted({day for _pk, day in rows})


def kpi_rollups_refresh() -> int:
    """Recomputes the days that changes marked stale, and their months; returns how
    many days. On PostgreSQL one statement when nothing is stale, two otherwise:
    cheap enough before every read."""
    with transaction.atomic():
        days = _claim_stale_days()
        if not days:
            return 0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(*_refresh_statement(days))
        else:
            _execute(_recompute_statements(days))
            # After the days: the months are summed from the days just written.
            _execute(kpi_month_statements(days))
        return len(days)


def kpi_rollups_flush() -> None:
    """Before a KPI read: the stale days, if any, are recomputed first."""
    if connection.vendor == "postgresql" or KPIDirtyDay.objects.exists():
        kpi_rollups_refresh()


def rebuild_kpi_rollups(*, facts: bool = True) -> None:
    """Recomputes every ticket's FCR facts (unless `facts` is False) and every rollup
    from scratch: after a bulk load that went around the services."""
    from tickets.services.kpi_facts_rebuild import fcr_facts_rebuild

    with transaction.atomic():
        _lock()
        if facts:
            fcr_facts_rebuild()
        KPIDirtyDay.objects.all().delete()
        _execute(_recompute_statements(None))
        _execute(kpi_month_statements(None))
