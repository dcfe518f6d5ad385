"""The numbers beside the inbox's views and the agent's saved views.

Whatever the counter table can answer (status, channel, priority, assignee and team)
is summed from it in one query: exact, and as cheap at a million tickets as at ten.
The rest cannot be kept as counters: "SLA at risk" changes with the clock, and a
tag filter joins the tags. Those are counted up to CAP in the same statement (the page
shows "999+" beyond). A saved view with a text search shows no number: counting it
would run the search on every page view."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl

from django.db import connection
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tickets.models import Channel, InboxCounter, SavedView, Team, Ticket
from tickets.selectors.console import CLOCK_STAND_IN, INBOX_VIEWS, InboxQuery, clock_parameters, inbox_tickets
from tickets.selectors.inbox import TicketFilters
from tickets.selectors.inbox_statements import prepared_cursor, with_constants_written
from tickets.services.inbox_counters import counters_supported

CAP = 1000


def inbox_query_from_string(query: str) -> InboxQuery:
    """A saved view's query string as the inbox reads it; values the inbox would
    refuse are left out (saved views are cleaned when saved)."""
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(query.lstrip("?")):
        params.setdefault(key, []).append(value)

    def first(key: str) -> str:
        return (params.get(key) or [""])[0]

    def number(key: str) -> int | None:
        value = first(key)
        return int(value) if value.isdigit() and len(value) < 10 else None

    priorities = [int(p) for p in params.get("priority", []) if p.isdigit() and int(p) in Ticket.Priority.values]
    filters = TicketFilters(
        status=[s for s in params.get("status", []) if s in Ticket.Status.values] or None,
        channel=[c for c in params.get("channel", []) if c in Channel.values] or None,
        priority=priorities or None,
        team_id=number("team"),
        assignee_id=number("assignee"),
        tag=first("tag").lower(),
    )
    view = first("view") if first("view") in INBOX_VIEWS else "mine"
    return InboxQuery(view=view, filters=filters, query=first("q"), sort=first("sort"))


def _counted_condition(inbox: InboxQuery, *, user) -> Q | None:
    """The tickets of `inbox` in terms of the counted columns (which the ticket table
    and the counter table share), or None when they cannot say it."""
    filters = inbox.filters
    if inbox.query or filters.tag or filters.customer_id is not None or inbox.view == "sla_at_risk":
        return None
    condition = Q(status__in=filters.status or Ticket.ACTIVE_STATUSES)
    if filters.channel:
        condition &= Q(channel__in=filters.channel)
    if filters.priority:
        condition &= Q(priority__in=filters.priority)
    if filters.team_id is not None:
        condition &= Q(team_id=filters.team_id)
    if inbox.view == "mine":
        condition &= Q(assignee_id=user.pk)
    elif inbox.view == "unassigned" or filters.unassigned:
        condition &= Q(assignee_id__isnull=True)
    elif filters.assignee_id is not None:
        condition &= Q(assignee_id=filters.assignee_id)
    if inbox.view == "team":
        condition &= Q(team_id__in=Team.objects.filter(agents__user=user).values("pk"))
    return condition


def _capped_count_sql(querysets: dict[str, object]) -> tuple[list[str], list]:
    """Each queryset counted up to CAP, as scalar subqueries of one SELECT list."""
    parts, params = [], []
    for tickets in querysets.values():
        sql, sql_params = tickets.order_by().values("pk")[:CAP].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")
        params.extend(sql_params)
    return parts, params


def _totals(counted: dict[str, Q]):
    """The counted views' totals as a one-row queryset: grouped by a constant, which
    leaves no GROUP BY, so that it can be the FROM of the statement that counts the rest."""
    if counters_supported():
        totals = {key: Coalesce(Sum("n", filter=condition), 0) for key, condition in counted.items()}
        rows = InboxCounter.objects.all()
    else:
        totals = {key: Count("pk", filter=condition) for key, condition in counted.items()}
        rows = Ticket.objects.all()
    return rows.order_by().annotate(one=Value(1)).values("one").annotate(**totals).values(*totals)


# Compiling the counts' statement cost the ORM 3-4 ms of CPU a page, more than
# PostgreSQL takes to run it. Its text depends only on the agent and their saved
# views, so it is compiled once for each; the clock, its one changing value, is
# compiled as CLOCK_STAND_IN: PostgreSQL's own clock in the statement's text, a
# parameter replaced at every call on SQLite.
_STATEMENTS_KEPT = 1024
_statements: dict[tuple, tuple[str, list, list[str], dict[str, None]]] = {}


def _counts_statement(*, user, saved_views: list[SavedView]) -> tuple[str, list, list[str], dict[str, None]]:
    """The statement, its parameters, the keys of its columns in order, and the views
    it leaves uncounted (a text search)."""
    queries = {key: InboxQuery(view=key) for key in INBOX_VIEWS}
    queries |= {f"saved-{view.pk}": inbox_query_from_string(view.query) for view in saved_views}
    counted, capped, uncounted = {}, {}, {}
    for key, inbox in queries.items():
        condition = _counted_condition(inbox, user=user)
        if condition is not None:
            counted[key] = condition
        elif inbox.query:
            uncounted[key] = None
        else:
            capped[key] = inbox_tickets(user=user, inbox=replace(inbox, sort=""), now=CLOCK_STAND_IN)
    # The five views are always there, and "all" is always counted: the totals' row exists.
    totals_sql, params = _totals(counted).query.sql_with_params()
    capped_parts, capped_params = _capped_count_sql(capped)
    columns = ["totals.*", *capped_parts]
    sql = f"SELECT {', '.join(columns)} FROM ({totals_sql}) AS totals"
    # The SELECT list's parameters come before the FROM's.
    params = [*capped_params, *params]
    if connection.vendor == "postgresql":
        sql, params = with_constants_written(sql, params, clock=CLOCK_STAND_IN), []
    return sql, params, [*counted, *capped], uncounted


def inbox_counts(*, user, saved_views: list[SavedView] = ()) -> dict[str, int | None]:
    """The count of each inbox view (by key) and each saved view (by "saved-<id>"):
    one query whatever the number of tickets. None where there is no count."""
    key = (user.pk, tuple((view.pk, view.query) for view in saved_views))
    statement = _statements.get(key)
    if statement is None:
        if len(_statements) >= _STATEMENTS_KEPT:
            _statements.clear()
        statement = _statements[key] = _counts_statement(user=user, saved_views=saved_views)
    sql, params, keys, uncounted = statement
    with prepared_cursor() if connection.vendor == "postgresql" else connection.cursor() as cursor:
        cursor.execute(sql, clock_parameters(params, timezone.now()))
        row = cursor.fetchone()
    return uncounted | dict(zip(keys, row, strict=True))


def count_label(count: int | None) -> str:
    if count is None:
        return ""
    return f"{CAP - 1}+" if count >= CAP else str(count)
