"""The rows behind each KPI figure, for a supervisor who wants to check a number:
the tickets (or survey answers) it counts, with the facts that decided it.

Every fact comes from SQL annotations on one query per page; the reason a ticket
is not FCR is the first of: unresolved, opened by an agent, reopened, a repeat
contact (its channel and how long after the resolution), no reply, several
replies (outside a live chat session). The reason reads the FCR facts kept on the
ticket (tickets/selectors/fcr.py); the repeat contact's channel and the chat session
are looked up for the page's rows only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, CharField, F, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from tickets.models import Survey, Ticket
from tickets.selectors.fcr import repeat_contacts, resolved_in_chat_session
from tickets.selectors.kpis import KPIFilters, ticket_filters_q

# Which tickets each figure is about (tickets/selectors/kpis.py's docstring).
TICKET_METRICS = ("volume", "first_response", "escalated", "fcr", "resolution", "reopened")
SURVEY_METRICS = ("csat", "ces", "nps")
METRICS = TICKET_METRICS + SURVEY_METRICS


class FCRReason:
    UNRESOLVED = "unresolved"
    AGENT_INITIATED = "agent_initiated"
    REOPENED = "reopened"
    REPEAT_CONTACT = "repeat_contact"
    NO_REPLY = "no_reply"
    SEVERAL_REPLIES = "several_replies"


def kpi_ticket_detail_rows(*, filters: KPIFilters, metric: str) -> QuerySet:
    """The tickets behind `metric` (one of TICKET_METRICS), annotated, oldest first."""
    scope = Ticket.objects.filter(ticket_filters_q(filters))
    created = Q(created_at__gte=filters.start, created_at__lt=filters.end)
    resolved = Q(resolved_at__gte=filters.start, resolved_at__lt=filters.end)
    which = {
        "volume": created,
        "first_response": created & Q(first_response_s__isnull=False),
        "escalated": created & Q(escalated_at__isnull=False),
        "fcr": resolved & Q(agent_initiated=False),
        "resolution": resolved,
        "reopened": resolved & Q(reopen_count__gt=0),
    }[metric]
    first_repeat = repeat_contacts().order_by("created_at", "id")
    return (
        scope.filter(which)
        .annotate(
            repeat_channel=Subquery(first_repeat.values("channel")[:1]),
            repeat_at=F("repeat_contact_at"),
            in_chat_session=resolved_in_chat_session(),
        )
        .annotate(
            fcr_reason=Case(
                When(resolved_at__isnull=True, then=Value(FCRReason.UNRESOLVED)),
                When(agent_initiated=True, then=Value(FCRReason.AGENT_INITIATED)),
                When(reopen_count__gt=0, then=Value(FCRReason.REOPENED)),
                When(repeat_at__isnull=False, then=Value(FCRReason.REPEAT_CONTACT)),
                When(agent_reply_count=0, then=Value(FCRReason.NO_REPLY)),
                When(fcr_one_contact=False, then=Value(FCRReason.SEVERAL_REPLIES)),
                default=Value(""),
                output_field=CharField(),
            )
        )
        .select_related("assignee")
        .order_by("resolved_at" if metric in ("fcr", "resolution", "reopened") else "created_at", "pk")
    )


def kpi_ticket_row(ticket: Ticket, *, now: datetime | None = None) -> dict[str, Any]:
    """One annotated ticket as the API and the drill-down page show it. `fcr` is None
    until the repeat-contact window after the resolution has passed."""
    now = now or timezone.now()
    judged = ticket.resolved_at is not None and not ticket.agent_initiated
    matured = judged and ticket.resolved_at <= now - timedelta(days=settings.FCR_WINDOW_DAYS)
    repeat_after = (ticket.repeat_at - ticket.resolved_at).total_seconds() if ticket.repeat_at else None
    return {
        "ticket": ticket.pk,
        "reference": ticket.reference,
        "channel": ticket.channel,
        "status": ticket.status,
        "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        "created_at": ticket.created_at.isoformat(),
        "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
        "agent_replies": ticket.agent_reply_count,
        "reopens": ticket.reopen_count,
        "first_response_s": ticket.first_response_s,
        "first_response_business_s": ticket.first_response_business_s,
        "resolution_s": ticket.resolution_s,
        "resolution_business_s": ticket.resolution_business_s,
        "resolved_in_chat_session": bool(ticket.in_chat_session),
        "repeat_contact": {"channel": ticket.repeat_channel, "after_s": repeat_after} if ticket.repeat_at else None,
        "fcr": (ticket.fcr_reason == "") if matured else None,
        "fcr_so_far": (ticket.fcr_reason == "") if judged else None,
        "fcr_reason": ticket.fcr_reason or None,
    }


def kpi_survey_detail_rows(*, filters: KPIFilters, metric: str) -> QuerySet:
    """The answers behind CSAT, CES or NPS, oldest first."""
    answers = Survey.objects.filter(
        ticket_filters_q(filters, "ticket__"),
        kind=metric,
        status=Survey.Status.ANSWERED,
        answered_at__gte=filters.start,
        answered_at__lt=filters.end,
    )
    if metric == Survey.Kind.CES:
        # As in the summary: only answers on the scale the team asks now.
        answers = answers.filter(scale_max=5 if settings.HELPDESK_CES_SCALE == 5 else 7)
    return answers.select_related("ticket").order_by("answered_at", "pk")


def kpi_survey_row(survey: Survey) -> dict[str, Any]:
    return {
        "survey": survey.pk,
        "ticket": survey.ticket_id,
        "reference": survey.ticket.reference,
        "kind": survey.kind,
        "channel": survey.channel,
        "score": survey.score,
        "scale": [survey.scale_min, survey.scale_max],
        "resolution_number": survey.resolution_number,
        "answered_at": survey.answered_at.isoformat(),
    }


def kpi_detail_rows(*, filters: KPIFilters, metric: str) -> QuerySet:
    if metric in SURVEY_METRICS:
        return kpi_survey_detail_rows(filters=filters, metric=metric)
    return kpi_ticket_detail_rows(filters=filters, metric=metric)


def kpi_detail_row(item, *, now: datetime | None = None) -> dict[str, Any]:
    if isinstance(item, Survey):
        return kpi_survey_row(item)
    return kpi_ticket_row(item, now=now)
