"""The live chat's session lifecycle, recorded for FCR: a session starts with the
customer's first chat message in a ticket and ends when the customer leaves the
widget, stays silent past HELPDESK_CHAT_IDLE_MINUTES, or the agent ends it. The
next chat message after an end starts a new session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tickets import events
from tickets.models import ChatSessionLog, Ticket
from tickets.services.kpi_facts import ticket_fcr_facts_refresh


@dataclass(frozen=True)
class ChatTouch:
    """A customer wrote in a ticket's chat at `at`."""

    ticket_id: int
    customer_id: int
    visitor: str
    at: datetime


def chat_sessions_touch(touches: list[ChatTouch]) -> None:
    """The customers wrote in the chat: each ticket's live session goes on, or a new
    one starts. One statement for them all: the partial unique constraint (one live
    session per ticket) turns the INSERT of a ticket that has one into its UPDATE,
    which also settles two server processes starting the same session at once."""
    if not touches:
        return
    table = connection.ops.quote_name(ChatSessionLog._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, %s, '')"] * len(touches))
    params = []
    for touch in touches:
        at = connection.ops.adapt_datetimefield_value(touch.at)
        params += [touch.ticket_id, touch.customer_id, touch.visitor[:64], at, at]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (ticket_id, customer_id, visitor, started_at, last_activity_at, end_reason)"
            f" VALUES {rows} ON CONFLICT (ticket_id) WHERE ended_at IS NULL"
            " DO UPDATE SET last_activity_at = excluded.last_activity_at",
            params,
        )


def chat_session_end(*, ticket_id: int, reason: str, at: datetime | None = None) -> bool:
    """Ends the ticket's live session, if there is one; False when there was none. The
    customer's open widgets hear of it and offer to start a new chat."""
    at = at or timezone.now()
    live = list(ChatSessionLog.objects.filter(ticket_id=ticket_id, ended_at__isnull=True).values_list("pk", "visitor"))
    ended = ChatSessionLog.objects.filter(pk__in=[pk for pk, _visitor in live], ended_at__isnull=True).update(
        ended_at=at, end_reason=reason
    )
    if ended:
        # Whether the ticket was resolved while the session was live.
        ticket_fcr_facts_refresh(ticket_ids=[ticket_id])
        frame = {"type": "ended", "ticket": ticket_id, "reason": reason}
        events.publish_on_commit([events.chat_visitor_group(visitor) for _pk, visitor in live], frame)
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is not None:
            events.publish_ticket_changed(ticket, changes={"chat_session": "ended", "reason": reason})
    return bool(ended)


def chat_session_live(*, ticket_id: int) -> bool:
    return ChatSessionLog.objects.filter(ticket_id=ticket_id, ended_at__isnull=True).exists()


def chat_session_idle_sweep(*, now: datetime | None = None) -> int:
    """Ends the sessions whose customer has been silent past the timeout. The end is
    dated at the last activity plus the timeout: when the customer was last there to
    talk, whenever the sweep happens to run."""
    now = now or timezone.now()
    timeout = timedelta(minutes=settings.HELPDESK_CHAT_IDLE_MINUTES)
    ended = 0
    stale = ChatSessionLog.objects.filter(ended_at__isnull=True, last_activity_at__lt=now - timeout)
    ticket_ids = []
    for session_id, ticket_id, last in stale.values_list("pk", "ticket_id", "last_activity_at")[:1000]:
        if ChatSessionLog.objects.filter(pk=session_id, ended_at__isnull=True).update(
            ended_at=last + timeout, end_reason=ChatSessionLog.EndReason.IDLE
        ):
            ended += 1
            ticket_ids.append(ticket_id)
    ticket_fcr_facts_refresh(ticket_ids=ticket_ids)
    return ended

