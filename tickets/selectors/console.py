"""Reads behind the agent console: the inbox views, the ticket page's side panels,
the approval queue and the notification bell."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q, QuerySet, Window
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import (
    CannedResponse,
    Macro,
    Message,
    Notification,
    Role,
    SavedView,
    Ticket,
)
from tickets.selectors.inbox import TicketFilters, ticket_list
from tickets.selectors.keyset import Key, KeysetPage, keyset_page
from tickets.selectors.search import ticket_search

STAFF_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)
INBOX_VIEWS = ("mine", "unassigned", "team", "all", "sla_at_risk")
# The inbox's orders besides the default (last activity first).
INBOX_SORTS = [
    ("newest", _("Newest first")),
    ("oldest", _("Waiting longest")),
    ("priority", _("Priority")),
    ("due", _("SLA due soonest")),
]
_TIME_THEN_ID = [Key("updated_at", descending=True, is_time=True), Key("id", descending=True)]
_SOONEST_DUE = [
    Key("sla__first_response_due_at", nullable=True, is_time=True),
    Key("sla__resolution_due_at", nullable=True, is_time=True),
]
_SORT_KEYS = {
    "newest": [Key("created_at", descending=True, is_time=True), Key("id", descending=True)],
    "oldest": [Key("created_at", is_time=True), Key("id")],
    "priority": [Key("priority", descending=True), *_TIME_THEN_ID],
    "due": [*_SOONEST_DUE, Key("id")],
}
_AT_RISK_KEYS = [*_SOONEST_DUE, Key("priority", descending=True), Key("id")]
# WhatsApp lets a business write freely only within 24 hours of the customer's last
# message; later, only approved templates go out.
WHATSAPP_WINDOW = timedelta(hours=24)
# A statement compiled once and run many times is compiled at this instant in place of
# the clock, and the stand-in is replaced by the current time at every run.
CLOCK_STAND_IN = datetime(1971, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


def clock_parameters(params: list, now: datetime) -> list:
    """A compiled statement's parameters with CLOCK_STAND_IN, as this database was
    given it (SQLite as text), replaced by `now`."""
    stand_in = connection.ops.adapt_datetimefield_value(CLOCK_STAND_IN)
    current = connection.ops.adapt_datetimefield_value(now)
    return [current if param == stand_in else param for param in params]


@dataclass(frozen=True, kw_only=True)
class InboxQuery:
    view: str = "mine"
    filters: TicketFilters = TicketFilters()
    query: str = ""
    sort: str = ""


def _at_risk(now) -> Q:
    """Past the SLA's warning time (or breached) on the clock that still runs."""
    return Q(first_response_at__isnull=True, sla__first_response_warn_at__lte=now) | Q(sla__resolution_warn_at__lte=now)


def sla_at_risk(tickets: QuerySet[Ticket], *, now=None) -> QuerySet[Ticket]:
    """Active tickets past their SLA warning time."""
    return tickets.filter(status__in=Ticket.ACTIVE_STATUSES).filter(_at_risk(now or timezone.now()))


def inbox_order(inbox: InboxQuery) -> list[Key]:
    """The keys of the view's order: the chosen sort, else soonest due first for
    "SLA at risk" and last activity first for the rest."""
    if inbox.sort in _SORT_KEYS:
        return _SORT_KEYS[inbox.sort]
    return _AT_RISK_KEYS if inbox.view == "sla_at_risk" else _TIME_THEN_ID


def inbox_tickets(*, user, inbox: InboxQuery, now=None) -> QuerySet[Ticket]:
    """The tickets of one inbox view, filtered, searched and in the view's order.
    Without a status filter a view shows the active tickets; "SLA at risk" is judged
    at `now` (the current time by default)."""
    filters = inbox.filters
    if not filters.status:
        filters = replace(filters, status=list(Ticket.ACTIVE_STATUSES))
    if inbox.view == "mine":
        filters = replace(filters, assignee_id=user.pk, unassigned=False)
    elif inbox.view == "unassigned":
        filters = replace(filters, unassigned=True)
    tickets = ticket_list(filters=replace(filters, query="")).select_related("sla")
    if inbox.view == "team":
        tickets = tickets.filter(team__agents__user=user)
    tickets = ticket_search(tickets, inbox.query)
    if inbox.view == "sla_at_risk":
        # The statuses asked for are active ones already (by default, all of them):
        # the same IN written twice made PostgreSQL square its selectivity and choose
        # a hash join over every SLA row at 10k tickets, where 35% are active.
        if set(filters.status) <= set(Ticket.ACTIVE_STATUSES):
            tickets = tickets.filter(_at_risk(now or timezone.now()))
        else:
            tickets = sla_at_risk(tickets, now=now)
    return tickets.order_by(*(key.order() for key in inbox_order(inbox)))


def inbox_page(*, user, inbox: InboxQuery, cursor: str = "", size: int = 50) -> KeysetPage:
    """One page of the view after `cursor` (LIMIT size+1, no count). Raises
    InvalidCursor for a cursor that is not one of ours."""
    return keyset_page(inbox_tickets(user=user, inbox=inbox), keys=inbox_order(inbox), cursor=cursor, size=size)


# Every inbox page asks; its statement, whose one parameter is the user's id, is
# compiled once.
@lru_cache(maxsize=1)
def _saved_views_sql() -> str:
    sql, (_user_id,) = SavedView.objects.filter(user_id=0).order_by("name").query.sql_with_params()
    return sql


def saved_views_for(*, user) -> list[SavedView]:
    return list(SavedView.objects.raw(_saved_views_sql(), [user.pk]))


def staff_users(*, roles: tuple[str, ...] = STAFF_ROLES) -> QuerySet:
    """Active users in any of these roles (superusers always), by username."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=roles))
        .distinct()
        .order_by("username")
    )


def canned_responses_for(*, user) -> QuerySet[CannedResponse]:
    teams = user.agent_profile.teams.values("pk") if hasattr(user, "agent_profile") else []
    return CannedResponse.objects.filter(
        Q(owner__isnull=True, team__isnull=True) | Q(owner=user) | Q(team__in=teams)
    ).order_by("title")


def canned_search(*, user, query: str = "") -> QuerySet[CannedResponse]:
    """The responses an agent can use, for the management page and the API."""
    responses = canned_responses_for(user=user).select_related("team", "owner")
    query = query.strip()
    if query:
        responses = responses.filter(Q(title__icontains=query) | Q(body__icontains=query))
    return responses


def canned_scope(response: CannedResponse) -> str:
    return _canned_scope(owner_id=response.owner_id, team_id=response.team_id)


def _canned_scope(*, owner_id: int | None, team_id: int | None) -> str:
    if owner_id:
        return "personal"
    return "team" if team_id else "shared"


# The characters of a canned response's text that its menu entry shows.
CANNED_PREVIEW = 140


def canned_menu_entry(
    *, id_: int, title: str, owner_id: int | None, team_id: int | None, team_name: str | None, preview: str
) -> dict:
    return {
        "id": id_,
        "title": title,
        "scope": _canned_scope(owner_id=owner_id, team_id=team_id),
        "team": team_name or "",
        "preview": preview[:CANNED_PREVIEW],
    }


def canned_menu(*, user) -> list[dict]:
    """What the composer's / menu searches: the title, where it comes from, and the
    start of the text. The text itself is filled in by the server when chosen. Read as
    plain rows (the ticket page reads the same in its own statement, ticket_page.py)."""
    rows = canned_responses_for(user=user).values("id", "title", "owner_id", "team_id", "team__name", "body")
    return [
        canned_menu_entry(id_=row["id"], title=row["title"], owner_id=row["owner_id"], team_id=row["team_id"],
                          team_name=row["team__name"], preview=row["body"])
        for row in rows
    ]  # fmt: skip


def macro_list() -> QuerySet[Macro]:
    return Macro.objects.order_by("name")


def approval_queue() -> QuerySet[Message]:
    """Replies of agents in training waiting for a supervisor, oldest first."""
    return (
        Message.objects.filter(delivery_status=Message.DeliveryStatus.AWAITING_APPROVAL)
        .select_related("ticket", "customer", "author")
        .order_by("created_at", "id")
    )


def _latest_notifications(*, user_id: int, limit: int) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(user_id=user_id)
        .annotate(unread=Window(Count("pk", filter=Q(read_at__isnull=True))))
        .order_by("-created_at", "-id")[:limit]
    )


# Every console page asks; compiling the windowed query cost the ORM more CPU than
# PostgreSQL takes to answer it. The user's id is its one parameter.
@lru_cache(maxsize=8)
def _latest_notifications_sql(limit: int) -> str:
    sql, (_user_id,) = _latest_notifications(user_id=0, limit=limit).query.sql_with_params()
    return sql


def notifications_for(*, user, limit: int = 20) -> tuple[list[Notification], int]:
    """The latest notifications and the number unread, in one query: the window
    counts the unread of all the user's notifications before the LIMIT applies."""
    latest = list(Notification.objects.raw(_latest_notifications_sql(limit), [user.pk]))
    unread = latest[0].unread if latest else 0
    return latest, unread
