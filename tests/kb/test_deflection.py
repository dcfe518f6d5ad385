"""Deflection: suggestions viewed, requests sent anyway, the sweep, and the rate computed
in SQL compared with a count made by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kb.models import ArticleView, DeflectionEvent
from kb.selectors import article_health, deflection_rate
from kb.services import (
    ArticleError,
    article_create,
    article_view_record,
    deflection_record,
    deflection_submitted,
    deflection_suggestion_viewed,
    deflection_sweep,
)
from kb.tasks import deflection_sweep as deflection_sweep_task
from tests.factories import deliver

BANGKOK = ZoneInfo("Asia/Bangkok")


@pytest.fixture
def article(category):
    return article_create(
        title="Track your parcel", body="Use the tracking number.", lang="en", category=category, published=True
    )


def _at(event: DeflectionEvent, when: datetime) -> None:
    DeflectionEvent.objects.filter(pk=event.pk).update(created_at=when)


def test_viewed_then_submitted_then_sweep_leaves_it_submitted(article):
    deflection_suggestion_viewed(session_key="s1", article_id=article.pk, query="where is my parcel")
    deflection_suggestion_viewed(session_key="s1", article_id=article.pk, query="again")  # one per session
    ticket = deliver("sms", "+66811111111", "parcel?").ticket
    assert deflection_submitted(session_key="s1", ticket_id=ticket.pk) == 1
    DeflectionEvent.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert deflection_sweep(older_than_minutes=30) == 0
    event = DeflectionEvent.objects.get()
    assert (event.outcome, event.ticket_id, event.query) == ("submitted", ticket.pk, "where is my parcel")


def test_the_sweep_marks_old_views_deflected_and_is_idempotent(article):
    old = deflection_suggestion_viewed(session_key="old", article_id=article.pk)
    fresh = deflection_suggestion_viewed(session_key="fresh", article_id=article.pk)
    _at(old, timezone.now() - timedelta(minutes=31))
    assert deflection_sweep_task.delay(30).get() == 1
    assert deflection_sweep_task.delay(30).get() == 0
    old.refresh_from_db(), fresh.refresh_from_db()
    assert (old.outcome, fresh.outcome) == ("deflected", "viewed")
    assert old.decided_at is not None


def test_a_request_after_the_sweep_turns_a_deflection_into_a_submission(article):
    event = deflection_suggestion_viewed(session_key="s", article_id=article.pk)
    _at(event, timezone.now() - timedelta(hours=1))
    deflection_sweep()
    deflection_record(session_key="s", outcome="submitted", ticket_id=None)
    event.refresh_from_db()
    assert event.outcome == "submitted"


def test_deflection_record_refuses_what_callers_cannot_decide(article):
    with pytest.raises(ArticleError):
        deflection_record(session_key="s", outcome="deflected", article_id=article.pk)
    with pytest.raises(ArticleError):
        deflection_record(session_key="s", outcome="viewed")
    assert deflection_record(session_key="s", outcome="viewed", article_id=article.pk) == 1


def test_deflection_rate_matches_a_count_by_hand(article, category, django_assert_num_queries):
    other = article_create(title="Refunds", body="3 days.", lang="en", category=category, published=True)
    day = datetime(2026, 3, 10, 12, 0, tzinfo=BANGKOK)
    # (session, article, outcome, when)
    events = [
        ("a", article, "deflected", day),
        ("a", other, "deflected", day),  # one session, two articles: still one deflected session
        ("b", article, "deflected", day + timedelta(days=1)),
        ("c", article, "submitted", day),
        ("d", other, "submitted", day + timedelta(days=2)),
        ("e", article, "viewed", day),  # undecided: reported, not in the rate
        ("f", article, "deflected", day - timedelta(days=1)),  # before the range
        ("g", article, "submitted", day + timedelta(days=3)),  # after the range
        ("h", article, "deflected", datetime(2026, 3, 9, 23, 30, tzinfo=BANGKOK)),  # the evening before, Bangkok
    ]
    for session, target, outcome, when in events:
        DeflectionEvent.objects.create(session_key=session, article=target, outcome=outcome, created_at=when)
    # By hand, 10-12 March: deflected sessions a, b (2); submitted c, d (2); pending e (1).
    with django_assert_num_queries(1):
        rate = deflection_rate(start=date(2026, 3, 10), end=date(2026, 3, 12))
    assert rate == {"deflected": 2, "submitted": 2, "pending": 1, "rate": 0.5}
    assert deflection_rate(start=date(2026, 3, 20), end=date(2026, 3, 21))["rate"] is None


def test_article_health_counts_tickets_created_after_reading(article, category):
    article_view_record(article=article, session_key="reader-1")
    article_view_record(article=article, session_key="reader-2")
    ticket = deliver("sms", "+66822222222", "still lost").ticket
    deflection_submitted(session_key="reader-1", ticket_id=ticket.pk)
    assert ArticleView.objects.get(session_key="reader-1").ticket == ticket
    article.refresh_from_db()
    health = article_health(article_ids=[article.pk])
    assert health == [
        {
            "id": article.pk, "title": "Track your parcel", "lang": "en", "view_count": 2,
            "helpful_yes": 0, "helpful_no": 0, "helpful_ratio": None, "tickets_after_reading": 1,
        }
    ]  # fmt: skip
