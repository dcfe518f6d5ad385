"""Escalation rules: evaluated on every event (an inbound message, a status change,
a reply) and by a sweep every minute over the active tickets.

A rule fires once per ticket per condition set: the RuleFiring row is inserted
first, inside the transaction of the actions, with the ticket row locked, and
its unique constraint turns a racing second firing into an IntegrityError that
changes nothing. Every firing lands on the ticket's timeline."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

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
    TicketSLA,
)
from tickets.services import tickets as ticket_services
from tickets.services.console import notifications_create
from tickets.services.kpi_rollups import kpi_ticket_days_mark
from tickets.services.replies import reply_create
from tickets.services.sentiment import contains_phrase, tokenize
from tickets.services.sla import CalendarSpec, business_seconds_between, calendar_for_team, ticket_sla_refresh

logger = logging.getLogger(__name__)
User = get_user_model()

SWEEP_CURSOR_KEY = "tickets:escalation-sweep-cursor"
ON_CLOCK = (Ticket.Status.NEW, Ticket.Status.OPEN)


@dataclass
class _Context:
    now: datetime
    calendars: dict[int | None, CalendarSpec]

    def calendar(self, team_id: int | None) -> CalendarSpec:
        if team_id not in self.calendars:
            self.calendars[team_id] = calendar_for_team(team_id)
        return self.calendars[team_id]


def active_rules() -> list[EscalationRule]:
    return list(EscalationRule.objects.filter(active=True).order_by("position", "id"))


def _contact_windows(rules: list[EscalationRule]) -> set[int]:
    return {
        int(condition["value"]["days"])
        for rule in rules
        for condition in rule.conditions
        if condition.get("type") == "repeat_contact"
    }


def _tickets_with_facts(ticket_ids: list[int], rules: list[EscalationRule], now: datetime) -> QuerySet[Ticket]:
    """The tickets with everything the conditions read, in one query (and one for tags)."""
    last_inbound = Message.objects.filter(
        ticket=OuterRef("pk"), direction="in", is_auto_reply=False, is_automatic=False
    ).order_by("-created_at", "-id")
    last_sentiment = MessageSentiment.objects.filter(ticket=OuterRef("pk")).order_by("-created_at")
    annotations = {
        "last_inbound_text": Subquery(last_inbound.values("text")[:1]),
        "last_sentiment_label": Subquery(last_sentiment.values("label")[:1]),
        "last_sentiment_severity": Subquery(last_sentiment.values("severity")[:1]),
    }
    for days in _contact_windows(rules):
        recent = (
            Ticket.objects.filter(customer=OuterRef("customer_id"), created_at__gt=now - timedelta(days=days))
            .values("customer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        annotations[f"contacts_{days}"] = Coalesce(Subquery(recent, output_field=IntegerField()), Value(0))
    return (
        Ticket.objects.filter(pk__in=ticket_ids)
        .select_related("customer", "sla")
        .prefetch_related("tags")
        .annotate(**annotations)
    )


def _sla(ticket: Ticket) -> TicketSLA | None:
    try:
        return ticket.sla
    except TicketSLA.DoesNotExist:
        return None


def _sla_state(ticket: Ticket, now: datetime) -> str:
    sla = _sla(ticket)
    if sla is None:
        return ""
    if sla.is_breached:
        return "breached"
    if ticket.status not in ON_CLOCK:
        return ""
    if ticket.first_response_at is None and sla.first_response_warn_at and sla.first_response_warn_at <= now:
        return "at_risk"
    if sla.resolution_warn_at and sla.resolution_warn_at <= now:
        return "at_risk"
    return ""


def _holds(condition: dict, ticket: Ticket, context: _Context) -> bool:
    kind, value = condition["type"], condition.get("value")
    if kind == "channel":
        return ticket.channel in value
    if kind == "priority_at_least":
        return ticket.priority >= value
    if kind == "tier":
        return ticket.customer.tier in value
    if kind == "tags":
        return bool({tag.name for tag in ticket.tags.all()} & {name.lower() for name in value})
    if kind == "keywords":
        words = tokenize(f"{ticket.subject}\n{ticket.last_inbound_text or ''}")
        return any(contains_phrase(words, phrase) for phrase in value)
    if kind == "sentiment":
        if value == "severe":
            return (ticket.last_sentiment_severity or 0) >= 2
        return ticket.last_sentiment_label == "negative"
    if kind == "sla":
        state = _sla_state(ticket, context.now)
        return state == "breached" if value == "breached" else state in ("at_risk", "breached")
    if kind == "no_agent_reply_minutes":
        waiting_since = ticket.last_inbound_at
        if ticket.status not in ON_CLOCK or waiting_since is None:
            return False
        if ticket.last_agent_reply_at and ticket.last_agent_reply_at >= waiting_since:
            return False
        # Business time never runs faster than the clock: skip the arithmetic when it cannot hold.
        if context.now - waiting_since < timedelta(minutes=value):
            return False
        return business_seconds_between(context.calendar(ticket.team_id), waiting_since, context.now) >= value * 60
    if kind == "reopen_count_at_least":
        return ticket.reopen_count >= value
    if kind == "repeat_contact":
        return getattr(ticket, f"contacts_{value['days']}", 0) >= value["contacts"]
    return False


def rule_matches(rule: EscalationRule, ticket: Ticket, context: _Context) -> bool:
    return all(_holds(condition, ticket, context) for condition in rule.conditions)


def _supervisors():
    groups = [Role.SUPERVISOR, Role.ADMIN]
    return User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(groups__name__in=groups)).distinct()


def _notify(action: dict, ticket: Ticket, rule: EscalationRule) -> list[int]:
    recipients = {user.pk: user for user in User.objects.filter(pk__in=action.get("users") or [], is_active=True)}
    if action.get("assignee") and ticket.assignee_id:
        recipients.setdefault(ticket.assignee_id, ticket.assignee)
    if action.get("supervisors"):
        recipients.update({user.pk: user for user in _supervisors()})
    text = _("Escalation “%(rule)s” on %(ref)s: %(subject)s") % {
        "rule": rule.name,
        "ref": ticket.reference,
        "subject": ticket.subject,
    }
    notifications_create(users=recipients.values(), ticket=ticket, kind=Notification.Kind.ESCALATION, text=text)
    emails = sorted({user.email for user in recipients.values() if user.email})
    if action.get("email") and emails:
        link = f"{settings.HELPDESK_PUBLIC_URL}/console/tickets/{ticket.pk}/"
        transaction.on_commit(lambda: _send_email(text, f"{text}\n\n{link}", emails))
    return sorted(recipients)


def _send_email(subject: str, body: str, recipients: list[str]) -> None:
    try:
        send_mail(subject[:200], body, None, recipients)
    except Exception:  # the console notification is already there; mail is a courtesy
        logger.exception("could not email an escalation to %s", recipients)


def _run_actions(rule: EscalationRule, ticket: Ticket) -> list[dict]:
    done = []
    for action in rule.actions:
        kind = action["type"]
        if kind == "set_priority" and action["value"] > ticket.priority:
            ticket_services.ticket_set_priority(ticket=ticket, priority=action["value"])
            ticket_sla_refresh(ticket=ticket)
            done.append({"type": kind, "priority": action["value"]})
        elif kind == "assign":
            team = Team.objects.filter(pk=action.get("team")).first() if action.get("team") else None
            agent = User.objects.filter(pk=action.get("agent"), is_active=True).first() if action.get("agent") else None
            if team is None and agent is None:
                done.append({"type": kind, "skipped": "the team or agent no longer exists"})
                continue
            ticket_services.ticket_assign(ticket=ticket, assignee=agent or ticket.assignee, team=team)
            done.append({"type": kind, "team": team and team.pk, "agent": agent and agent.pk})
        elif kind == "notify":
            done.append({"type": kind, "users": _notify(action, ticket, rule)})
        elif kind == "add_tag":
            ticket_services.ticket_add_tags(ticket=ticket, names=[action["value"]])
            done.append({"type": kind, "tag": action["value"]})
        elif kind == "add_note":
            reply_create(ticket=ticket, author=None, text=action["value"], is_note=True, is_automatic=True)
            done.append({"type": kind})
    return done


def _fire(rule: EscalationRule, ticket_id: int, *, event: str, now: datetime) -> bool:
    try:
        with transaction.atomic():
            RuleFiring.objects.create(rule=rule, ticket_id=ticket_id, condition_key=rule.condition_key, event=event)
            ticket = Ticket.objects.select_related("customer", "assignee").get(pk=ticket_id)
            done = _run_actions(rule, ticket)
            TicketActivity.objects.create(
                ticket_id=ticket_id,
                kind=TicketActivity.Kind.ESCALATED,
                data={"rule": rule.pk, "name": rule.name, "event": event, "actions": done},
            )
            if Ticket.objects.filter(pk=ticket_id, escalated_at__isnull=True).update(escalated_at=now):
                kpi_ticket_days_mark(ticket_ids=[ticket_id])
    except IntegrityError:
        return False  # it fired already, in this event or a racing one
    return True


def _evaluate(ticket_ids: list[int], rules: list[EscalationRule], *, event: str, context: _Context) -> int:
    if not ticket_ids or not rules:
        return 0
    fired_before = set(
        RuleFiring.objects.filter(ticket_id__in=ticket_ids, rule__in=rules).values_list("rule_id", "ticket_id", "condition_key")
    )
    fired = 0
    for ticket in _tickets_with_facts(ticket_ids, rules, context.now):
        due = [
            rule
            for rule in rules
            if (rule.pk, ticket.pk, rule.condition_key) not in fired_before and rule_matches(rule, ticket, context)
        ]
        if not due:
            continue
        with transaction.atomic():
            # One evaluation of a ticket at a time: racing events wait here, then find the firing rows.
            Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk", flat=True).first()
            for rule in due:
                fired += _fire(rule, ticket.pk, event=event, now=context.now)
    return fired


def escalation_evaluate(*, ticket_id: int, event: str, now: datetime | None = None) -> int:
    """Evaluates the active rules on one ticket; returns how many fired."""
    return escalation_evaluate_many(ticket_ids=[ticket_id], event=event, now=now)


def escalation_evaluate_many(*, ticket_ids: list[int], event: str, now: datetime | None = None) -> int:
    """Evaluates the active rules on the tickets, in one pass; returns how many fired."""
    rules = active_rules()
    return _evaluate(ticket_ids, rules, event=event, context=_Context(now=now or timezone.now(), calendars={}))


def escalation_sweep(*, now: datetime | None = None, batch_size: int | None = None, limit: int | None = None) -> int:
    """Evaluates the rules over active tickets, in batches by id. A run stops after
    `limit` tickets; the next one continues from where it stopped."""
    rules = active_rules()
    if not rules:
        return 0
    batch_size = batch_size or settings.HELPDESK_ESCALATION_SWEEP_BATCH
    limit = limit or settings.HELPDESK_ESCALATION_SWEEP_MAX
    context = _Context(now=now or timezone.now(), calendars={})
    cursor = cache.get(SWEEP_CURSOR_KEY, 0)
    seen = fired = 0
    while seen < limit:
        ids = list(
            Ticket.objects.filter(status__in=Ticket.ACTIVE_STATUSES, pk__gt=cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            cursor = 0
            break
        fired += _evaluate(ids, rules, event="sweep", context=context)
        seen += len(ids)
        cursor = ids[-1]
    cache.set(SWEEP_CURSOR_KEY, cursor, timeout=None)
    return fired

