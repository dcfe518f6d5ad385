"""Escalation rules: conditions, actions, once per ticket, even under racing events."""

import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from tests.factories import make_user
from tests.tickets.sla.helpers import deliver_now
from tickets.models import (
    EscalationRule,
    Message,
    MessageSentiment,
    Notification,
    Role,
    RuleFiring,
    Team,
    Ticket,
    TicketActivity,
)
from tickets.services.escalation import escalation_evaluate, escalation_sweep
from tickets.services.sentiment import LexiconAnalyzer, contains_phrase, tokenize

pytestmark = pytest.mark.django_db


def _rule(conditions, actions, **fields) -> EscalationRule:
    rule = EscalationRule(name=fields.pop("name", "rule"), conditions=conditions, actions=actions, **fields)
    rule.full_clean()
    rule.save()
    return rule


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def deliver(*args, **kwargs):
        return deliver_now(django_capture_on_commit_callbacks, *args, **kwargs)

    return deliver


def test_a_thai_keyword_rule_raises_the_priority_tags_notes_and_notifies(run, supervisor, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    supervisor.email = "lead@example.com"
    supervisor.save()
    rule = _rule(
        [{"type": "keywords", "value": ["คืนเงิน", "refund"]}, {"type": "channel", "value": ["whatsapp", "sms"]}],
        [
            {"type": "set_priority", "value": 4},
            {"type": "add_tag", "value": "refund"},
            {"type": "add_note", "value": "Refund request: check the payment first."},
            {"type": "notify", "supervisors": True, "email": True},
        ],
        name="Refunds",
    )
    result = run("whatsapp", "whatsapp:+66830000001", "สวัสดีค่ะ อยากได้คืนเงินค่ะ สินค้าเสีย")
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert ticket.priority == Ticket.Priority.URGENT
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
    note = Message.objects.get(ticket=ticket, direction="note")
    assert (note.text, note.is_automatic, note.author) == ("Refund request: check the payment first.", True, None)
    assert Notification.objects.filter(user=supervisor, ticket=ticket, kind="escalation").count() == 1
    assert mail.outbox and mail.outbox[0].to == ["lead@example.com"] and "Refunds" in mail.outbox[0].subject
    activity = TicketActivity.objects.get(ticket=ticket, kind=TicketActivity.Kind.ESCALATED)
    assert activity.data["name"] == "Refunds" and activity.data["event"] == "inbound"
    assert ticket.escalated_at is not None
    # The next message is another event: the rule has fired for this ticket already.
    run("whatsapp", "whatsapp:+66830000001", "คืนเงินด้วยค่ะ")
    assert RuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 1
    assert Message.objects.filter(ticket=ticket, direction="note").count() == 1


def test_thai_keywords_match_whole_segmented_words():
    words = tokenize("ต้องการยกเลิกบริการค่ะ")
    assert contains_phrase(words, "ยกเลิก")
    assert not contains_phrase(tokenize("ดีเลย์มาก"), "ดี")
    assert contains_phrase(tokenize("I want a REFUND now"), "refund")
    assert not contains_phrase(tokenize("refunded already"), "refund")


def test_sentiment_is_scored_in_english_and_thai_and_feeds_a_rule(run, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    analyzer = LexiconAnalyzer()
    assert analyzer.analyze("Thank you, great help!").label == "positive"
    assert analyzer.analyze("This is not good at all, terrible service").label == "negative"
    thai = analyzer.analyze("บริการแย่มาก ไม่พอใจเลย")
    assert (thai.label, thai.language) == ("negative", "th")
    assert analyzer.analyze("I will call my lawyer").severity == 3
    _rule([{"type": "sentiment", "value": "negative"}], [{"type": "add_tag", "value": "unhappy"}])
    calm = run("sms", "+66830000002", "Hello, what are your opening hours?").ticket
    angry = run("sms", "+66830000003", "บริการแย่มาก ไม่พอใจเลย รอนานมาก").ticket
    assert MessageSentiment.objects.get(message__ticket=angry).label == "negative"
    assert not calm.tags.exists()
    assert list(angry.tags.values_list("name", flat=True)) == ["unhappy"]


def test_no_agent_reply_for_business_minutes_is_found_by_the_sweep(clock, office_calendar, run, agent, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    team = Team.objects.create(name="Tier 2")
    _rule(
        [{"type": "no_agent_reply_minutes", "value": 60}, {"type": "tier", "value": ["vip"]}],
        [{"type": "assign", "team": team.pk, "agent": agent.pk}],
    )
    clock.set("2026-11-20 17:30")  # Friday: 30 business minutes left
    ticket = run("email", "vip@example.com", "Urgent", subject="Urgent").ticket
    ticket.customer.tier = "vip"
    ticket.customer.save()
    clock.set("2026-11-23 12:00")  # Monday is a holiday: still 30 business minutes
    assert escalation_sweep() == 0
    clock.set("2026-11-24 09:29")
    assert escalation_sweep() == 0
    clock.set("2026-11-24 09:31")
    assert escalation_sweep() == 1
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team, agent)
    assert escalation_sweep() == 0


def test_repeat_contacts_and_reopens(clock, run, agent, settings, django_capture_on_commit_callbacks):
    from tickets.services.tickets import ticket_set_status

    settings.HELPDESK_AUTOACK_ENABLED = False
    repeat = _rule([{"type": "repeat_contact", "value": {"contacts": 3, "days": 7}}], [{"type": "add_tag", "value": "repeat"}])
    reopened = _rule([{"type": "reopen_count_at_least", "value": 1}], [{"type": "add_tag", "value": "reopened"}])
    clock.set("2026-11-02 10:00")
    first = run("email", "r@example.com", "one", subject="One").ticket
    clock.set("2026-11-06 10:00")
    run("email", "r@example.com", "two", subject="Two")
    clock.set("2026-11-12 10:00")  # the first contact is 10 days old: only 2 within 7 days
    third = run("email", "r@example.com", "three", subject="Three").ticket
    assert not RuleFiring.objects.filter(rule=repeat).exists()
    clock.set("2026-11-12 11:00")
    fourth = run("email", "r@example.com", "four", subject="Four").ticket
    assert RuleFiring.objects.filter(rule=repeat).get().ticket == fourth
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=first, status="resolved", actor=agent)
    first.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=first, status="open", actor=agent, reason="customer replied")
    assert RuleFiring.objects.get(rule=reopened).ticket == first
    assert third.pk != fourth.pk


def test_rules_are_validated():
    with pytest.raises(ValidationError):
        _rule([{"type": "channel", "value": ["fax"]}], [{"type": "add_tag", "value": "x"}])
    with pytest.raises(ValidationError):
        _rule([{"type": "sla", "value": "late"}], [{"type": "add_tag", "value": "x"}])
    with pytest.raises(ValidationError):
        _rule([{"type": "priority_at_least", "value": 3}], [{"type": "notify"}])
    with pytest.raises(ValidationError):
        _rule([], [{"type": "add_tag", "value": "x"}])
    with pytest.raises(ValidationError):
        _rule([{"type": "repeat_contact", "value": {"contacts": 0, "days": 7}}], [{"type": "add_tag", "value": "x"}])


def test_editing_the_conditions_lets_a_rule_fire_again(run, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    rule = _rule([{"type": "channel", "value": ["sms"]}], [{"type": "add_tag", "value": "sms"}])
    ticket = run("sms", "+66830000010", "hi").ticket
    assert escalation_evaluate(ticket_id=ticket.pk, event="test") == 0
    rule.conditions = [{"type": "channel", "value": ["sms", "email"]}]
    rule.save()
    assert escalation_evaluate(ticket_id=ticket.pk, event="test") == 1
    assert RuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_rule_fires_exactly_once_under_concurrent_events(roles):
    """On PostgreSQL, eight threads evaluate at once; SQLite serializes writers, so
    there the same events run one after another."""
    make_user("lead", roles=[Role.SUPERVISOR])
    ticket = deliver_now(_no_capture, "sms", "+66830000011", "my order is broken").ticket
    rule = _rule(
        [{"type": "keywords", "value": ["broken"]}],
        [{"type": "set_priority", "value": 3}, {"type": "add_note", "value": "Broken item"}, {"type": "notify", "supervisors": True}],
    )
    results: list[int] = []
    errors: list[BaseException] = []

    def evaluate():
        try:
            barrier.wait()
            results.append(escalation_evaluate(ticket_id=ticket.pk, event="race"))
        except BaseException as exc:  # noqa: B036 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(8)
        threads = [threading.Thread(target=evaluate) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        barrier = threading.Barrier(1)
        for _ in range(8):
            evaluate()
    assert not errors, errors
    assert sorted(results) == [0] * 7 + [1]
    assert RuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 1
    assert TicketActivity.objects.filter(ticket=ticket, kind=TicketActivity.Kind.ESCALATED).count() == 1
    assert Message.objects.filter(ticket=ticket, direction="note").count() == 1
    assert Notification.objects.filter(ticket=ticket, kind="escalation").count() == 1


class _no_capture:
    """In a transactional test, on_commit callbacks run by themselves."""

    def __init__(self, execute: bool = True) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None
