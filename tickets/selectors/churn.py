"""Churn risk of a customer: the signals that tell a customer may leave, weighed
into a score from 0 to 100, in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tickets.models import Customer, MessageSentiment, Survey, Ticket

WINDOW_DAYS = 90
# signal -> (points per occurrence, cap)
WEIGHTS: dict[str, tuple[int, int]] = {
    "negative_messages": (8, 32),
    "severe_messages": (15, 30),
    "repeat_contacts": (5, 20),
    "low_scores": (15, 30),
    "sla_breaches": (6, 18),
    "escalations": (6, 18),
}


@dataclass(frozen=True)
class ChurnRisk:
    score: int  # 0 .. 100
    level: str  # low | medium | high
    signals: dict[str, int]


def _count(queryset, field: str = "pk") -> Coalesce:
    counted = queryset.values("customer_id").annotate(n=Count(field)).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _signals(customers, *, now: datetime):
    since = now - timedelta(days=WINDOW_DAYS)
    mine = {"customer_id": OuterRef("pk")}
    sentiments = MessageSentiment.objects.filter(**mine, created_at__gte=since)
    tickets = Ticket.objects.filter(**mine, created_at__gte=since)
    low_survey = (Q(kind=Survey.Kind.CSAT) | Q(kind=Survey.Kind.CES)) & Q(score__lte=2) | Q(
        kind=Survey.Kind.NPS, score__lte=6
    )
    return customers.annotate(
        negative_messages=_count(sentiments.filter(label=MessageSentiment.Label.NEGATIVE)),
        severe_messages=_count(sentiments.filter(severity__gte=2)),
        # Contacts beyond the first in the window.
        repeat_contacts=_count(tickets.filter(agent_initiated=False)),
        low_scores=_count(Survey.objects.filter(low_survey, **mine, answered_at__gte=since)),
        sla_breaches=_count(
            tickets.filter(
                Q(sla__first_response_breached_at__isnull=False) | Q(sla__resolution_breached_at__isnull=False)
            )
        ),
        escalations=_count(tickets.filter(escalated_at__isnull=False)),
    )


def _risk(row) -> ChurnRisk:
    signals = {name: getattr(row, name) for name in WEIGHTS}
    signals["repeat_contacts"] = max(0, signals["repeat_contacts"] - 1)
    score = min(100, sum(min(cap, points * signals[name]) for name, (points, cap) in WEIGHTS.items()))
    level = "high" if score >= 50 else "medium" if score >= 20 else "low"
    return ChurnRisk(score=score, level=level, signals=signals)


def customer_churn_risk(*, customer_id: int, now: datetime | None = None) -> ChurnRisk | None:
    """The churn risk of one customer over the last 90 days, or None if unknown."""
    row = _signals(Customer.objects.filter(pk=customer_id), now=now or timezone.now()).first()
    return _risk(row) if row is not None else None


def customers_churn_risk(*, customer_ids: list[int], now: datetime | None = None) -> dict[int, ChurnRisk]:
    """The churn risk of several customers (a page of a list), in one query."""
    rows = _signals(Customer.objects.filter(pk__in=customer_ids), now=now or timezone.now())
    return {row.pk: _risk(row) for row in rows}
