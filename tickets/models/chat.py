"""A live chat's sessions: when the customer was there to talk. FCR counts a chat
resolved while its session was live, with every agent reply inside it, as one
contact; one resolved after the customer left is judged like any other ticket."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Ticket
from .people import Customer


class ChatSessionLog(models.Model):
    class EndReason(models.TextChoices):
        CUSTOMER_LEFT = "left", _("the customer left")
        IDLE = "idle", _("idle past the timeout")
        AGENT = "agent", _("ended by the agent")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="chat_sessions")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+")
    visitor = models.CharField(_("visitor"), max_length=64)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=8, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        constraints = [
            # One live session per ticket: the next message after an end starts another.
            models.UniqueConstraint(fields=["ticket"], condition=Q(ended_at__isnull=True), name="chat_session_live_uniq"),
        ]
        indexes = [
            models.Index(fields=["ticket", "started_at"], name="chat_session_ticket_idx"),
            models.Index(fields=["last_activity_at"], condition=Q(ended_at__isnull=True), name="chat_session_idle_idx"),
            # A visitor's latest session: the conversation its widget's first messages join.
            models.Index(fields=["visitor", "-last_activity_at"], name="chat_session_visitor_idx"),
        ]

    def __str__(self) -> str:
        return _("chat session of ticket %(ticket)s") % {"ticket": self.ticket_id}
