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


class KPIReportPreference(models.Model):
    """How a supervisor wants the KPI report: how often, and in which language."""

    class Period(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        DAILY = "daily", _("Daily")
        OFF = "off", _("Never")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="kpi_report_preference"
    )
    period = models.CharField(_("period"), max_length=8, choices=Period.choices, default=Period.WEEKLY)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("KPI report preference")
        verbose_name_plural = _("KPI report preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.period} {self.language}"
