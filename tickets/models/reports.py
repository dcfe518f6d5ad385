"""The scheduled KPI reports sent to supervisors: one row per recipient and period,
written before the email goes out, so a task that runs twice sends once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class KPIReportDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=8)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("KPI report delivery")
        verbose_name_plural = _("KPI report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "period", "period_start"], name="kpi_report_once_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.period_start} → {self.recipient_id}"
