"""Survey answers, chat sessions and business-hours times for the demo's bulk
tickets, so that the dashboard's CSAT, CES and NPS have answers on every channel,
FCR sees chats resolved both while the customer was there and after they left, and
the business-hours medians are the ones the services would have recorded."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db.models import QuerySet

from tickets.models import Channel, ChatSessionLog, Survey, Ticket
from tickets.services.sla import business_seconds_between, calendar_for_team
from tickets.services.surveys import survey_kinds, survey_scale

# Most customers who answer are content; some are not.
_WEIGHTS = {
    Survey.Kind.CSAT: [2, 3, 8, 30, 57],
    Survey.Kind.CES: [2, 3, 5, 8, 17, 30, 35],
    Survey.Kind.NPS: [2, 1, 1, 2, 2, 4, 5, 10, 18, 25, 30],
}
ANSWER_SHARE = 0.45


def demo_surveys_seed(*, tickets: QuerySet, seed: int, batch_size: int = 2000) -> int:
    """Answered surveys for about half the resolved tickets, one per kind the team asks,
    each answered a few minutes to hours after the resolution; chat sessions for the
    chats. Returns the number of answers."""
    rng = random.Random(f"surveys:{seed}")
    kinds = survey_kinds()
    surveys, sessions = [], []
    resolved = tickets.filter(resolved_at__isnull=False, agent_initiated=False).values_list(
        "pk", "customer_id", "channel", "resolved_at", "first_inbound_at", "reopen_count"
    )
    for pk, customer_id, channel, resolved_at, first_inbound_at, reopens in resolved.iterator(chunk_size=batch_size):
        if channel == Channel.CHAT and first_inbound_at:
            # Two in three chats are resolved while the customer is still there.
            stays = rng.random() < 0.67
            ended = resolved_at + timedelta(minutes=rng.randint(1, 10)) if stays else resolved_at - timedelta(minutes=5)
            reason = ChatSessionLog.EndReason.CUSTOMER_LEFT if rng.random() < 0.7 else ChatSessionLog.EndReason.IDLE
            sessions.append(
                ChatSessionLog(
                    ticket_id=pk, customer_id=customer_id, visitor=f"demo{pk}", started_at=first_inbound_at,
                    last_activity_at=min(ended, resolved_at), ended_at=max(ended, first_inbound_at), end_reason=reason,
                )
            )  # fmt: skip
        if rng.random() >= ANSWER_SHARE:
            continue
        asked = resolved_at + timedelta(minutes=1)
        answered = asked
        for kind in kinds:
            low, high = survey_scale(kind)
            weights = _WEIGHTS[kind][-(high - low + 1) :]
            answered += timedelta(minutes=rng.randint(1, 240))
            surveys.append(
                Survey(
                    ticket_id=pk, customer_id=customer_id, resolution_number=reopens + 1, kind=kind, channel=channel,
                    scale_min=low, scale_max=high, status=Survey.Status.ANSWERED,
                    score=rng.choices(range(low, high + 1), weights)[0], created_at=asked, answered_at=answered,
                )
            )  # fmt: skip
            # Messaging customers sometimes stop after the first question.
            if channel != Channel.EMAIL and rng.random() < 0.15:
                break
    ChatSessionLog.objects.bulk_create(sessions, batch_size=batch_size)
    Survey.objects.bulk_create(surveys, batch_size=batch_size, ignore_conflicts=True)
    _business_seconds_fill(tickets=tickets, batch_size=batch_size)
    return len(surveys)


def _business_seconds_fill(*, tickets: QuerySet, batch_size: int) -> None:
    """First response and resolution in business seconds, on the default calendar, as
    tickets.services.replies and tickets.services.tickets record them."""
    calendar = calendar_for_team(None)
    changed = []
    rows = tickets.filter(first_response_business_s__isnull=True, resolution_business_s__isnull=True).values_list(
        "pk", "created_at", "first_inbound_at", "first_response_at", "resolved_at"
    )
    for pk, created_at, first_inbound_at, first_response_at, resolved_at in rows.iterator(chunk_size=batch_size):
        ticket = Ticket(pk=pk)
        if first_inbound_at and first_response_at:
            ticket.first_response_business_s = business_seconds_between(calendar, first_inbound_at, first_response_at)
        if resolved_at:
            ticket.resolution_business_s = business_seconds_between(calendar, created_at, resolved_at)
        if first_response_at or resolved_at:
            changed.append(ticket)
    Ticket.objects.bulk_update(changed, ["first_response_business_s", "resolution_business_s"], batch_size=batch_size)

