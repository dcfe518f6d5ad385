"""Churn risk: negative messages, repeat contacts, low scores, breaches, escalations."""

import pytest

from tests.tickets.sla.helpers import deliver_now
from tickets.models import Survey, Ticket
from tickets.selectors.churn import customer_churn_risk, customers_churn_risk

pytestmark = pytest.mark.django_db


def test_an_unhappy_repeat_customer_is_at_high_risk(django_capture_on_commit_callbacks, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    calm = deliver_now(django_capture_on_commit_callbacks, "email", "calm@example.com", "Thanks, all good", subject="Hi").ticket
    for n, text in enumerate(["This is terrible, still broken", "Worst service ever, I will call my lawyer", "แย่มาก ไม่พอใจ"]):
        angry = deliver_now(django_capture_on_commit_callbacks, "email", "angry@example.com", text, subject=f"Issue {n}").ticket
    Ticket.objects.filter(pk=angry.pk).update(escalated_at=angry.created_at)
    Survey.objects.create(
        ticket=angry, customer=angry.customer, resolution_number=1, kind="csat", channel="email", status="answered",
        score=1, answered_at=angry.created_at,
    )  # fmt: skip
    risk = customer_churn_risk(customer_id=angry.customer_id)
    # 3 negative (24) + 3 angry (45, capped at 30) + 2 repeat contacts (10) + 1 low score (15) + 1 escalation (6) = 85
    assert risk.signals == {
        "negative_messages": 3, "severe_messages": 3, "repeat_contacts": 2, "low_scores": 1, "sla_breaches": 0,
        "escalations": 1,
    }  # fmt: skip
    assert (risk.score, risk.level) == (85, "high")
    both = customers_churn_risk(customer_ids=[calm.customer_id, angry.customer_id])
    assert both[calm.customer_id].level == "low" and both[calm.customer_id].score == 0
