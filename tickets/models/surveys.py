"""Satisfaction surveys sent after a resolution, and the customers who asked not
to get them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Channel, Message, Ticket
from .people import Customer, Team


def new_survey_token() -> str:
    return secrets.token_urlsafe(24)


class Survey(models.Model):
    class Kind(models.TextChoices):
        CSAT = "csat", _("Customer satisfaction (CSAT)")
        CES = "ces", _("Customer effort (CES)")
        NPS = "nps", _("Net promoter score (NPS)")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        SKIPPED = "skipped", _("Skipped")
        # Not answered before HELPDESK_SURVEY_REPLY_WINDOW_HOURS: the conversation stopped.
        EXPIRED = "expired", _("Expired")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="surveys")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="surveys")
    # 1 for the first resolution, 2 after one reopen...: one survey per resolution.
    resolution_number = models.PositiveSmallIntegerField(_("resolution number"))
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    scale_min = models.PositiveSmallIntegerField(_("lowest score"), default=1)
    scale_max = models.PositiveSmallIntegerField(_("highest score"), default=5)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENT)
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_survey_token, editable=False)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    message = models.ForeignKey(Message, verbose_name=_("message"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answer_message = models.ForeignKey(Message, verbose_name=_("answer message"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "resolution_number", "kind"], name="survey_once_per_resolution_uniq"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=models.F("scale_min")) & Q(score__lte=models.F("scale_max"))),
                name="survey_score_in_scale",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "channel", "status", "-created_at"], name="survey_customer_idx"),
            models.Index(fields=["kind", "answered_at"], name="survey_answered_idx"),
            models.Index(fields=["answered_at"], condition=Q(status="answered"), name="survey_answers_range_idx"),
        ]

    def __str__(self) -> str:
        return _("%(kind)s for ticket %(ticket)s #%(number)s") % {
            "kind": self.get_kind_display(),
            "ticket": self.ticket_id,
            "number": self.resolution_number,
        }


class SurveyOptOut(models.Model):
    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="survey_opt_out")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey opt-out")
        verbose_name_plural = _("survey opt-outs")

    def __str__(self) -> str:
        return _("opt-out of customer %(customer)s") % {"customer": self.customer_id}


class SurveyPlan(models.Model):
    """The questions asked after a resolution, in their order: one row for the whole
    helpdesk (no team) and one per team that asks differently. Without any row,
    HELPDESK_SURVEY_KINDS applies."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="survey_plans"
    )
    kinds = models.JSONField(_("questions"), default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey questions")
        verbose_name_plural = _("survey questions")
        constraints = [
            # One plan per team, and one for the whole helpdesk (its team is NULL, read as 0).
            models.UniqueConstraint(Coalesce("team", Value(0)), name="survey_plan_one_per_team_uniq"),
        ]

    def __str__(self) -> str:
        return ", ".join(self.kinds)
