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


class DevOutboxMessage(models.Model):
    """A message the dev outbox "delivered" instead of a provider: every email, SMS
    and WhatsApp sent while no real provider is configured (the demo, a fresh clone).
    Kept in the database so that every process of the helpdesk sees the same outbox."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    sender = models.CharField(_("from"), max_length=320, blank=True)
    recipients = models.CharField(_("to"), max_length=1000)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    text = models.TextField(_("text"), blank=True)
    # As given to the provider; sanitized when shown.
    html = models.TextField(_("HTML"), blank=True)
    # [{"filename", "content_type", "size"}]; the files themselves are not kept.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # What a provider would have answered: the email's Message-ID, an SMS's SID.
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("dev outbox message")
        verbose_name_plural = _("dev outbox messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipients}"
