"""State the channel adapters keep about the outside world."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SmsOptOut(models.Model):
    """Whether a phone number said STOP to our SMS. One row per number, flipped by
    STOP and START, so outbound SMS can check it with one indexed lookup."""

    phone = models.CharField(_("phone"), max_length=32, unique=True)
    opted_out = models.BooleanField(_("opted out"), default=True)
    # The word the customer wrote, as written ("STOP", "ยกเลิก"), for the audit trail.
    keyword = models.CharField(_("keyword"), max_length=40, blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")

    def __str__(self) -> str:
        state = _("opted out") if self.opted_out else _("opted in")
        return f"{self.phone} ({state})"
