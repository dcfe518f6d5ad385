"""Survey answers and chat sessions for the demo's bulk tickets, so that the
dashboard's CSAT, CES and NPS have answers on every channel, and FCR sees chats
resolved both while the customer was there and after they left."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from tickets.models import Channel, ChatSessionLog, Survey
from tickets.services.surveys import survey_kinds, survey_scale

if TYPE_CHECKING:
    from tickets.services.demo.writers import OrmWriter

# Most customers who answer are content; some are not.
_WEIGHTS = {
    Survey.Kind.CSAT: [2, 3, 8, 30, 57],
    Survey.Kind.CES: [2, 3, 5, 8, 17, 30, 35],
    Survey.Kind.NPS: [2, 1, 1, 2, 2, 4, 5, 10, 18, 25, 30],
}
ANSWER_SHARE = 0.45


def demo_surveys_seed(*, tickets: QuerySet, seed: int, writer: OrmWriter) -> int:
    """Answered surveys for about half the resolved tickets, one per kind the team asks,
    each answered a few minutes to hours after the resolution; chat sessions for the
    chats. Returns the number of answers."""
    rng = random.Random(f"surveys:{seed}")
    kinds = survey_kinds()
    surveys, sessions = [], []
    answered_count = 0
    resolved = tickets.filter(resolved_at__isnull=False, agent_initiated=False).values_list(
        "pk", "customer_id", "channel", "resolved_at", "first_inbound_at", "reopen_count"
    )
    rows = resolved.order_by("pk").iterator(chunk_size=writer.batch_size)
    for pk, customer_id, channel, resolved_at, first_inbound_at, reopens in rows:
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
        if len(surveys) >= writer.batch_size:
            answered_count += len(surveys)
            writer.surveys(surveys, sessions)
            surveys, sessions = [], []
    writer.surveys(surveys, sessions)
    return answered_count + len(surveys)
