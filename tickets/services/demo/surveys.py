"""Survey answers and chat sessions for the demo's bulk tickets, so that the
dashboard's CSAT, CES and NPS have answers on every channel, and FCR sees chats
resolved both while the customer was there and after they left. Made with each
story, in the process that writes it."""

from __future__ import annotations

import random
from datetime import timedelta

from tickets.models import Channel, ChatSessionLog, Survey, Ticket
from tickets.services.demo.rows import RowFactory
from tickets.services.surveys import survey_kinds, survey_scale

# Most customers who answer are content; some are not.
_WEIGHTS = {
    Survey.Kind.CSAT: [2, 3, 8, 30, 57],
    Survey.Kind.CES: [2, 3, 5, 8, 17, 30, 35],
    Survey.Kind.NPS: [2, 1, 1, 2, 2, 4, 5, 10, 18, 25, 30],
}
ANSWER_SHARE = 0.45
_new_survey = RowFactory(Survey)
_new_session = RowFactory(ChatSessionLog)


class SurveyAnswers:
    """The questions the demo's team asks, with their scales and answer weights, looked
    up once (before the workers fork)."""

    def __init__(self) -> None:
        self.questions = []
        for kind in survey_kinds():
            low, high = survey_scale(kind)
            self.questions.append((kind, low, high, range(low, high + 1), _WEIGHTS[kind][-(high - low + 1) :]))

    def for_ticket(self, rng: random.Random, ticket: Ticket) -> tuple[list[Survey], ChatSessionLog | None]:
        """For about half the resolved tickets, one answer per question, each a few
        minutes to hours after the resolution; a chat session for a resolved chat. The
        ticket id is set when the ticket has one."""
        resolved_at = ticket.resolved_at
        if resolved_at is None or ticket.agent_initiated:
            return [], None
        session = None
        if ticket.channel == Channel.CHAT and ticket.first_inbound_at:
            # Two in three chats are resolved while the customer is still there.
            stays = rng.random() < 0.67
            ended = resolved_at + timedelta(minutes=rng.randint(1, 10)) if stays else resolved_at - timedelta(minutes=5)
            reason = ChatSessionLog.EndReason.CUSTOMER_LEFT if rng.random() < 0.7 else ChatSessionLog.EndReason.IDLE
            session = _new_session(
                customer_id=ticket.customer_id, started_at=ticket.first_inbound_at,
                last_activity_at=min(ended, resolved_at), ended_at=max(ended, ticket.first_inbound_at), end_reason=reason,
            )  # fmt: skip
        if rng.random() >= ANSWER_SHARE:
            return [], session
        surveys = []
        asked = answered = resolved_at + timedelta(minutes=1)
        for kind, low, high, scores, weights in self.questions:
            answered += timedelta(minutes=rng.randint(1, 240))
            surveys.append(
                _new_survey(
                    customer_id=ticket.customer_id, resolution_number=ticket.reopen_count + 1, kind=kind,
                    channel=ticket.channel, scale_min=low, scale_max=high, status=Survey.Status.ANSWERED,
                    score=rng.choices(scores, weights)[0], created_at=asked, answered_at=answered,
                )
            )  # fmt: skip
            # Messaging customers sometimes stop after the first question.
            if ticket.channel != Channel.EMAIL and rng.random() < 0.15:
                break
        return surveys, session
