"""Escalation rules that supervisors write without code, and the record that each
rule fired once per ticket per condition set."""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .core import Channel, Ticket
from .people import Customer

SENTIMENT_LEVELS = ("negative", "severe")
SLA_STATES = ("at_risk", "breached")


class RuleType(NamedTuple):
    """How the rule editor shows a condition or action type: a name, and the shape of its value."""

    label: Any
    help: Any


# Every condition: its type, its name and the shape of its value. All conditions of a rule must hold.
CONDITION_TYPES: dict[str, RuleType] = {
    "channel": RuleType(_("Channel"), _("list of channels")),
    "priority_at_least": RuleType(_("Priority at least"), _("priority 1-4")),
    "tier": RuleType(_("Customer tier"), _("list of customer tiers")),
    "tags": RuleType(_("Has a tag"), _("list of tag names (any of them)")),
    "keywords": RuleType(
        _("Message contains"), _("list of words or phrases (any of them; Thai is matched on segmented words)")
    ),
    "sentiment": RuleType(_("Customer sentiment"), _("negative | severe (the last inbound message)")),
    "sla": RuleType(_("SLA status"), _("at_risk | breached")),
    "no_agent_reply_minutes": RuleType(
        _("Minutes without an agent reply"),
        _("business minutes since the customer's last message without an agent reply"),
    ),
    "reopen_count_at_least": RuleType(_("Reopened at least (times)"), _("a number of reopens")),
    "repeat_contact": RuleType(
        _("Repeat contacts"), _("{contacts: N, days: X}: N contacts of the customer within X days")
    ),
}
ACTION_TYPES: dict[str, RuleType] = {
    "set_priority": RuleType(_("Raise the priority to"), _("raise the priority to 1-4 (never lowers it)")),
    "assign": RuleType(_("Assign to"), _("{team: id, agent: id}: reassign")),
    "notify": RuleType(_("Notify"), _("{users: [ids], assignee: bool, supervisors: bool, email: bool}")),
    "add_tag": RuleType(_("Add a tag"), _("a tag name")),
    "add_note": RuleType(_("Add an internal note"), _("an internal note's text")),
}
# The parts of a repeat_contact value, as the editor names them.
REPEAT_CONTACT_PARTS = {"contacts": _("contacts"), "days": _("within days")}


def _fail(message: str, **params: Any) -> None:
    raise ValidationError(message, params=params)


def _list_of(value: Any, allowed: list[str] | None, what: str) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item.strip() for item in value):
        _fail(_("%(what)s needs a non-empty list of names"), what=what)
    if allowed is not None:
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            _fail(_("%(what)s: unknown value(s) %(unknown)s"), what=what, unknown=", ".join(unknown))


def _positive_int(value: Any, what: str, *, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (maximum and value > maximum):
        limit = f"1-{maximum}" if maximum else _("1 or more")
        _fail(_("%(what)s needs a whole number %(limit)s"), what=what, limit=limit)


def validate_conditions(conditions: Any) -> None:
    if not isinstance(conditions, list) or not conditions:
        _fail(_("a rule needs at least one condition"))
    for condition in conditions:
        if not isinstance(condition, dict) or condition.get("type") not in CONDITION_TYPES:
            _fail(_("unknown condition %(condition)s"), condition=json.dumps(condition, ensure_ascii=False)[:80])
        kind, value = condition["type"], condition.get("value")
        label = CONDITION_TYPES[kind].label
        if kind == "channel":
            _list_of(value, Channel.values, label)
        elif kind == "tier":
            _list_of(value, Customer.Tier.values, label)
        elif kind in ("tags", "keywords"):
            _list_of(value, None, label)
        elif kind == "priority_at_least":
            _positive_int(value, label, maximum=max(Ticket.Priority.values))
        elif kind == "sentiment" and value not in SENTIMENT_LEVELS:
            _fail(_("sentiment is one of %(levels)s"), levels=", ".join(SENTIMENT_LEVELS))
        elif kind == "sla" and value not in SLA_STATES:
            _fail(_("sla is one of %(states)s"), states=", ".join(SLA_STATES))
        elif kind in ("no_agent_reply_minutes", "reopen_count_at_least"):
            _positive_int(value, label)
        elif kind == "repeat_contact":
            if not isinstance(value, dict):
                _fail(_("repeat_contact needs contacts and days"))
            for part, maximum in (("contacts", None), ("days", 365)):
                what = format_lazy("{} ({})", label, REPEAT_CONTACT_PARTS[part])
                _positive_int(value.get(part), what, maximum=maximum)


def validate_actions(actions: Any) -> None:
    if not isinstance(actions, list) or not actions:
        _fail(_("a rule needs at least one action"))
    for action in actions:
        if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
            _fail(_("unknown action %(action)s"), action=json.dumps(action, ensure_ascii=False)[:80])
        kind, value = action["type"], action.get("value")
        label = ACTION_TYPES[kind].label
        if kind == "set_priority":
            _positive_int(value, label, maximum=max(Ticket.Priority.values))
        elif kind == "assign":
            if not action.get("team") and not action.get("agent"):
                _fail(_("%(action)s: choose a team or an agent"), action=label)
            for key in ("team", "agent"):
                if action.get(key) is not None:
                    _positive_int(action[key], f"assign.{key}")
        elif kind == "notify":
            users = action.get("users") or []
            if not isinstance(users, list) or not all(isinstance(u, int) and not isinstance(u, bool) for u in users):
                _fail(_("notify.users is a list of user ids"))
            if not users and not action.get("assignee") and not action.get("supervisors"):
                _fail(_("%(action)s: choose someone to notify"), action=label)
        elif kind in ("add_tag", "add_note"):
            if not isinstance(value, str) or not value.strip():
                _fail(_("%(kind)s needs a text"), kind=label)
            if kind == "add_tag" and len(value) > 60:
                _fail(_("a tag has 60 characters at most"))


class EscalationRule(models.Model):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Lower runs first.
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    conditions = models.JSONField(_("conditions"), default=list, validators=[validate_conditions])
    actions = models.JSONField(_("actions"), default=list, validators=[validate_actions])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["active", "position"], name="rule_active_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def condition_key(self) -> str:
        """Names the condition set: a rule whose conditions are edited may fire again."""
        canonical = json.dumps(self.conditions, sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(canonical.encode()).hexdigest()[:16]


class RuleFiring(models.Model):
    """Inserted before the actions run, in their transaction: the unique row is
    what makes a rule fire once per ticket, however many events race."""

    rule = models.ForeignKey(EscalationRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="rule_firings")
    condition_key = models.CharField(_("condition"), max_length=40)
    event = models.CharField(_("event"), max_length=20, blank=True)
    fired_at = models.DateTimeField(_("fired at"), default=timezone.now)

    class Meta:
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        constraints = [
            models.UniqueConstraint(fields=["rule", "ticket", "condition_key"], name="rule_firing_once_uniq")
        ]
        indexes = [models.Index(fields=["ticket", "fired_at"], name="rule_firing_ticket_idx")]

    def __str__(self) -> str:
        return _("rule %(rule)s on ticket %(ticket)s") % {"rule": self.rule_id, "ticket": self.ticket_id}
