"""Changing tickets: status, assignment, priority, tags. Each change records the
KPI facts it makes and an activity on the ticket's timeline."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import events
from tickets.models import Tag, Team, Ticket, TicketActivity
from tickets.services.escalation_events import escalation_enqueue
from tickets.services.kpi_facts import ticket_fcr_facts_refresh
from tickets.services.kpi_rollups import kpi_day_marks, kpi_days_mark, kpi_ticket_days_mark
from tickets.services.rows_insert import rows_insert
from tickets.services.search_documents import search_document_of_new_ticket
from tickets.services.sla import sla_status_changed
from tickets.services.surveys import survey_schedule

Status = Ticket.Status

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.PENDING, Status.RESOLVED, Status.CLOSED},
    Status.PENDING: {Status.OPEN, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: set(),
}


class InvalidTransition(ValueError):
    pass


def subject_token(ticket: Ticket) -> str:
    """The token an outbound subject carries, so that a reply threads back even when
    a mail client drops In-Reply-To."""
    return f"[{ticket.reference}]"


def ticket_id_from_subject(subject: str) -> int | None:
    prefix = re.escape(settings.HELPDESK_TICKET_PREFIX)
    match = re.search(rf"\[{prefix}-(\d{{1,12}})\]", subject or "", re.IGNORECASE)
    return int(match.group(1)) if match else None


def _record(ticket: Ticket, kind: str, *, actor=None, **data: Any) -> None:
    TicketActivity.objects.create(ticket=ticket, kind=kind, actor=actor, data=data)


def _leave_pending(ticket: Ticket, now) -> list[str]:
    if ticket.pending_since is None:
        return []
    ticket.paused_s += max(0, int((now - ticket.pending_since).total_seconds()))
    ticket.pending_since = None
    return ["paused_s", "pending_since"]


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, status: str, actor=None, reason: str = "") -> Ticket:
    """Moves a ticket along an allowed transition, recording the facts the KPIs need."""
    if status == ticket.status:
        return ticket
    if status not in ALLOWED_TRANSITIONS.get(ticket.status, set()):
        raise InvalidTransition(
            _("a %(current)s ticket cannot become %(status)s") % {"current": ticket.status, "status": status}
        )
    now = timezone.now()
    previous = ticket.status
    resolved_before = ticket.resolved_at
    fields = ["status", "updated_at"]
    paused_from = ticket.pending_since
    if previous == Status.PENDING:
        fields += _leave_pending(ticket, now)
    if status == Status.PENDING:
        ticket.pending_since = now
        fields.append("pending_since")
    elif status == Status.RESOLVED:
        ticket.resolved_at = now
        ticket.resolution_s = max(0, int((now - ticket.created_at).total_seconds()))
        fields += ["resolved_at", "resolution_s"]
    elif status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
        if ticket.resolved_at is None:
            ticket.resolved_at = now
            ticket.resolution_s = max(0, int((now - ticket.created_at).total_seconds()))
            fields += ["resolved_at", "resolution_s"]
    if previous == Status.RESOLVED and status == Status.OPEN:
        ticket.reopen_count += 1
        fields.append("reopen_count")
        _record(ticket, TicketActivity.Kind.REOPENED, actor=actor, reason=reason)
    ticket.status = status
    ticket.updated_at = now
    # The SLA clock: business time spent pending, and the resolution's business seconds.
    fields += sla_status_changed(ticket=ticket, previous=previous, paused_from=paused_from, now=now)
    ticket.save(update_fields=fields)
    if "resolved_at" in fields or "reopen_count" in fields:
        # The day it was resolved on before, and the facts (and day) of this resolution.
        kpi_days_mark([resolved_before])
        ticket_fcr_facts_refresh(ticket_ids=[ticket.pk])
    _record(ticket, TicketActivity.Kind.STATUS, actor=actor, **{"from": previous, "to": status})
    events.publish_ticket_changed(ticket, changes={"status": status, "from": previous})
    if status == Status.RESOLVED:
        survey_schedule(ticket=ticket)
    escalation_enqueue(ticket_id=ticket.pk, event="status")
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee=None, team: Team | None = None, actor=None) -> Ticket:
    fields = ["updated_at"]
    if assignee != ticket.assignee:
        ticket.assignee = assignee
        fields.append("assignee")
    if team is not None and team != ticket.team:
        ticket.team = team
        fields.append("team")
    if len(fields) == 1:
        return ticket
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=fields)
    kpi_ticket_days_mark(ticket_ids=[ticket.pk], with_replies_and_answers=True)
    _record(
        ticket,
        TicketActivity.Kind.ASSIGNED,
        actor=actor,
        assignee=ticket.assignee_id,
        team=ticket.team_id,
    )
    events.publish_ticket_changed(ticket, changes={"assignee": ticket.assignee_id, "team": ticket.team_id})
    return ticket


@transaction.atomic
def ticket_set_priority(*, ticket: Ticket, priority: int, actor=None) -> Ticket:
    if priority == ticket.priority:
        return ticket
    previous = ticket.priority
    ticket.priority = priority
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["priority", "updated_at"])
    _record(ticket, TicketActivity.Kind.PRIORITY, actor=actor, **{"from": previous, "to": priority})
    events.publish_ticket_changed(ticket, changes={"priority": priority})
    return ticket


@transaction.atomic
def ticket_add_tags(*, ticket: Ticket, names: list[str], actor=None) -> Ticket:
    names = sorted({name.strip().lower()[:60] for name in names if name and name.strip()})
    if not names:
        return ticket
    existing = set(ticket.tags.values_list("name", flat=True))
    new = [name for name in names if name not in existing]
    if not new:
        return ticket
    Tag.objects.bulk_create([Tag(name=name) for name in new], ignore_conflicts=True)
    ticket.tags.add(*Tag.objects.filter(name__in=new))
    kpi_days_mark([ticket.created_at])
    _record(ticket, TicketActivity.Kind.TAGGED, actor=actor, tags=new)
    events.publish_ticket_changed(ticket, changes={"tags_added": new})
    return ticket


@transaction.atomic
def ticket_create(
    *,
    customer,
    subject: str,
    channel: str,
    actor=None,
    priority: int = Ticket.Priority.NORMAL,
    team: Team | None = None,
    assignee=None,
) -> Ticket:
    """A ticket an agent opens. It has no first response: the agent spoke first."""
    return ticket_insert(
        customer=customer,
        subject=subject,
        channel=channel,
        actor=actor,
        priority=priority,
        team=team,
        assignee=assignee,
    )


def ticket_insert(
    *,
    customer,
    subject: str,
    channel: str,
    actor=None,
    priority: int = Ticket.Priority.NORMAL,
    team: Team | None = None,
    assignee=None,
    at: datetime | None = None,
    first_message_text: str = "",
    first_reply_counts: dict[str, Any] | None = None,
) -> Ticket:
    """ticket_create's writes, inside the caller's transaction (no savepoint of its
    own). A caller that writes the ticket's first message itself, at the same instant
    `at` (reply_write(..., opens_ticket=True)), gives its words, searchable from the
    first write of the search document, and the counts it sets on the ticket
    (replies.reply_opening_counts), stored with the ticket instead of updated after."""
    now = at or timezone.now()
    ticket = Ticket(
        subject=subject[:300],
        channel=channel,
        customer=customer,
        priority=priority,
        team=team,
        assignee=assignee,
        status=Status.OPEN,
        agent_initiated=True,
        created_at=now,
        updated_at=now,
        **(first_reply_counts or {}),
    )
    activity = TicketActivity(kind=TicketActivity.Kind.CREATED, actor=actor, data={"channel": channel})
    document = search_document_of_new_ticket(
        ticket=ticket, message_texts=[first_message_text] if first_message_text else []
    )
    # The ticket, its first activity, its search document and its day's mark: one
    # statement on PostgreSQL.
    rows_insert(ticket, dependents=[(activity, "ticket"), (document, "ticket")], others=kpi_day_marks([now]))
    events.publish_ticket_changed(ticket, changes={"created": True})
    return ticket
