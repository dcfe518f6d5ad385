"""The sentiment of inbound messages: it feeds escalation rules and churn risk."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Message, Ticket
from .people import Customer


class MessageSentiment(models.Model):
    class Label(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEUTRAL = "neutral", _("Neutral")
        NEGATIVE = "negative", _("Negative")

    message = models.OneToOneField(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, primary_key=True, related_name="sentiment"
    )
    # Denormalized so that rules and churn risk read one index range.
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="sentiments")
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="sentiments"
    )
    score = models.FloatField(_("score"))  # -1 (angry) .. 1 (delighted)
    label = models.CharField(_("label"), max_length=10, choices=Label.choices)
    # 0 calm, 1 unhappy, 2 angry, 3 threatening to leave or to sue.
    severity = models.PositiveSmallIntegerField(_("severity"), default=0)
    language = models.CharField(_("language"), max_length=8, blank=True)
    analyzer = models.CharField(_("analyzer"), max_length=40)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("message sentiment")
        verbose_name_plural = _("message sentiments")
        indexes = [
            models.Index(fields=["ticket", "-created_at"], name="sentiment_ticket_idx"),
            models.Index(fields=["customer", "-created_at"], name="sentiment_customer_idx"),
        ]

    def __str__(self) -> str:
        return _("%(label)s (%(score)s) on message %(message)s") % {
            "label": self.get_label_display(),
            "score": f"{self.score:+.2f}",
            "message": self.message_id,
        }
