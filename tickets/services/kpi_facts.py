"""The FCR facts kept on each ticket (Ticket.fcr_one_contact, Ticket.repeat_contact_at),
recomputed from tickets/selectors/fcr.py's definition where something they depend on
changes: an agent reply or its approval, a resolution or reopening, a chat session
ending, a merge or its undoing. An inbound contact sets repeat_contact_at on its
customer's tickets resolved within the window with one indexed UPDATE.

Each change also marks the days whose rollups it makes stale
(tickets/services/kpi_rollups.py), in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.sql import UpdateQuery

from tickets.models import Ticket
from tickets.selectors.fcr import fcr_facts_computed
from tickets.services.kpi_rollups import kpi_days_mark, local_day


@cache
def _refresh_statement(vendor: str, window_days: int) -> tuple[str, tuple, list]:
    """`UPDATE tickets_ticket SET <fcr_facts_computed()>`, compiled once per database
    and FCR window (resolving the definition's expressions took most of a reply's
    CPU), for the caller to append its WHERE; with the converters of a returned
    resolved_at (text on SQLite)."""
    query = UpdateQuery(Ticket)
    query.add_update_values(fcr_facts_computed())
    sql, params = query.get_compiler(connection=connection).as_sql()
    resolved_at = Ticket._meta.get_field("resolved_at")
    column = resolved_at.get_col(Ticket._meta.db_table)
    converters = connection.ops.get_db_converters(column) + resolved_at.get_db_converters(connection)
    return sql, params, [(converter, column) for converter in converters]


def ticket_fcr_facts_refresh(*, ticket_ids: Iterable[int]) -> None:
    """Recomputes the facts of these tickets; their resolution days go stale, and their
    creation days, whose first responses a reply or its approval may have just set."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    update, params, converters = _refresh_statement(connection.vendor, settings.FCR_WINDOW_DAYS)
    table = connection.ops.quote_name(Ticket._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f'{update} WHERE {table}."id" IN ({placeholders}) RETURNING {table}."resolved_at", {table}."created_at"',
            (*params, *ids),
        )
        moments = [moment for row in cursor.fetchall() for moment in row]
    for converter, column in converters:
        moments = [converter(value, column, connection) for value in moments]
    kpi_days_mark(moments)


def fcr_facts_of_unresolved(ticket: Ticket) -> list[str]:
    """The facts of a ticket not resolved, set on the instance (which holds its current
    reply count) for the caller's save; returns their names. Before a resolution the
    definition reduces to this: no chat session can have been live at it, and no
    contact can follow it."""
    ticket.fcr_one_contact = ticket.agent_reply_count == 1
    ticket.repeat_contact_at = None
    first_response = ticket.first_response_at
    if first_response is not None and first_response == ticket.last_agent_reply_at:
        # This reply is the first response, counted on the day the ticket was created
        # (the duration rollups); the reply's own day is marked by the reply.
        if local_day(ticket.created_at) != local_day(first_response):
            kpi_days_mark([ticket.created_at])
    return ["fcr_one_contact", "repeat_contact_at"]


def all_fcr_facts_refresh(*, chunk: int = 5000) -> None:
    """Every ticket's facts, a range of ids at a time (rebuild_kpi_rollups marks no day:
    it recomputes them all)."""
    last = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for start in range(0, last + 1, chunk):
        Ticket.objects.filter(pk__gte=start, pk__lt=start + chunk).update(**fcr_facts_computed())


def customer_fcr_facts_refresh(*, customer_ids: Iterable[int]) -> None:
    """After messages or tickets changed customer (a merge or its undoing): the repeat
    contacts of every resolved ticket of these customers."""
    ticket_ids = Ticket.objects.filter(customer_id__in=list(customer_ids), resolved_at__isnull=False).values_list(
        "pk", flat=True
    )
    ticket_fcr_facts_refresh(ticket_ids=list(ticket_ids))


def kpi_inbound_contact(*, customer_id: int, at: datetime) -> None:
    """A customer's inbound contact at `at` (not an auto-reply, not a survey answer) is
    the repeat contact of their tickets resolved in the FCR window before it."""
    window = timedelta(days=settings.FCR_WINDOW_DAYS)
    earlier = Ticket.objects.filter(
        Q(repeat_contact_at__isnull=True) | Q(repeat_contact_at__gt=at),
        customer_id=customer_id,
        resolved_at__gte=at - window,
        resolved_at__lt=at,
    )
    hit = list(earlier.values_list("pk", "resolved_at"))
    if hit:
        earlier.filter(pk__in=[pk for pk, _resolved in hit]).update(repeat_contact_at=at)
        kpi_days_mark(resolved for _pk, resolved in hit)


def kpi_inbound_contacts(contacts: list[tuple[int, datetime]]) -> None:
    """A batch's contacts (customer id, when): one query finds the tickets they are the
    repeat contact of; each such ticket keeps its earliest."""
    if not contacts:
        return
    window = timedelta(days=settings.FCR_WINDOW_DAYS)
    earliest = min(at for _customer, at in contacts)
    candidates = Ticket.objects.filter(
        customer_id__in={customer for customer, _at in contacts},
        resolved_at__gte=earliest - window,
        resolved_at__lt=max(at for _customer, at in contacts),
    ).values_list("pk", "customer_id", "resolved_at", "repeat_contact_at")
    for pk, customer_id, resolved_at, repeat_at in candidates:
        hits = [at for customer, at in contacts if customer == customer_id and resolved_at < at <= resolved_at + window]
        first = min(hits, default=None)
        if first is not None and (repeat_at is None or first < repeat_at):
            Ticket.objects.filter(pk=pk).update(repeat_contact_at=first)
            kpi_days_mark([resolved_at])


def fcr_facts_stale(tickets: QuerySet) -> QuerySet:
    """The tickets whose kept facts differ from the definition's, with both."""
    computed = {f"computed_{name}": expression for name, expression in fcr_facts_computed().items()}
    repeat, computed_repeat = "repeat_contact_at", "computed_repeat_contact_at"
    return (
        tickets.annotate(**computed)
        .filter(
            ~Q(fcr_one_contact=F("computed_fcr_one_contact"))
            | Q(**{f"{repeat}__isnull": True, f"{computed_repeat}__isnull": False})
            | Q(**{f"{repeat}__isnull": False, f"{computed_repeat}__isnull": True})
            | Q(**{f"{repeat}__lt": F(computed_repeat)})
            | Q(**{f"{repeat}__gt": F(computed_repeat)})
        )
        .values("pk", "fcr_one_contact", "computed_fcr_one_contact", repeat, computed_repeat)
        .order_by("pk")
    )


def kpi_facts_reconcile(*, since: datetime) -> int:
    """Recomputes the facts of the tickets resolved since `since` that differ from the
    definition: what a contact racing a resolution in another process left behind
    (neither saw the other's uncommitted row). Returns how many were fixed."""
    stale = [row["pk"] for row in fcr_facts_stale(Ticket.objects.filter(resolved_at__gte=since))]
    ticket_fcr_facts_refresh(ticket_ids=stale)
    return len(stale)
