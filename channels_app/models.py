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


class MessagingContact(models.Model):
    """What a messaging platform tells us about one of its users (a LINE userId, a
    Messenger PSID, an Instagram IGSID): the profile, and whether they may be written
    to. The customer is found through the ContactIdentity of the same address."""

    class Platform(models.TextChoices):
        LINE = "line", _("LINE")
        MESSENGER = "messenger", _("Messenger")
        INSTAGRAM = "instagram", _("Instagram")

    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    user_id = models.CharField(_("user ID"), max_length=100)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    picture_url = models.URLField(_("picture URL"), max_length=1000, blank=True)
    status_message = models.CharField(_("status message"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    # The name this platform gave the customer; an agent's own name differs from it and is kept.
    applied_name = models.CharField(_("name given to the customer"), max_length=200, blank=True)
    profile_fetched_at = models.DateTimeField(_("profile fetched at"), null=True, blank=True)
    profile_error = models.CharField(_("profile error"), max_length=300, blank=True)
    # LINE: unfollow (blocked) is an opt-out; a later follow opts in again.
    opted_out = models.BooleanField(_("opted out"), default=False)
    # The platform's time of the last follow or unfollow, so an older event never wins.
    follow_changed_at = models.DateTimeField(_("follow changed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("messaging contact")
        verbose_name_plural = _("messaging contacts")
        constraints = [models.UniqueConstraint(fields=["platform", "user_id"], name="messaging_contact_uniq")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"


class ChannelHealth(models.Model):
    """The last event a channel's webhook took and the last error it met, for the admin."""

    channel = models.CharField(_("channel"), max_length=10, unique=True)
    last_event_at = models.DateTimeField(_("last event received"), null=True, blank=True)
    events_received = models.PositiveBigIntegerField(_("events received"), default=0)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("channel health")
        verbose_name_plural = _("channel health")

    def __str__(self) -> str:
        return self.channel


class LineLinkCode(models.Model):
    """A one-time code that proves a LINE user is a customer we already know: the
    portal shows it to the signed-in customer, who sends it from LINE. Only then are
    the two linked; a LINE user who merely claims an email address is never linked."""

    customer = models.ForeignKey(
        "tickets.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="line_link_codes"
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # The LINE user who sent the code.
    line_user_id = models.CharField(_("LINE user ID"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("LINE link code")
        verbose_name_plural = _("LINE link codes")

    def __str__(self) -> str:
        return f"{self.code} → {self.customer_id}"
