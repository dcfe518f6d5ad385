"""What the helpdesk keeps to protect its people: staff sign-ins (an audit trail),
the answers of API requests sent with an Idempotency-Key, and the addresses a chat
visitor only claims until the claim is verified."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .people import ContactIdentity, Customer


class SignInAttempt(models.Model):
    """One staff sign-in, kept for the audit: who, from where, and how it ended."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Signed in")
        FAILED = "failed", _("Wrong username or password")
        THROTTLED = "throttled", _("Refused: too many failed attempts")

    class Site(models.TextChoices):
        CONSOLE = "console", _("Agent console")
        ADMIN = "admin", _("Administration")

    username = models.CharField(_("username"), max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    site = models.CharField(_("signed in at"), max_length=10, choices=Site.choices)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=400, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"


class IdempotentRequest(models.Model):
    """An API POST sent with an Idempotency-Key: its first answer, replayed to a retry
    with the same key (per user) for a day, so that a retry creates nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    # What the key was first used for: the same key on another request is a client's mistake.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    # NULL while the first request is still being handled.
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response = models.JSONField(_("response"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_user_key_uniq")]

    def __str__(self) -> str:
        return self.key


class IdentityClaim(models.Model):
    """An address a chat visitor typed into the pre-chat form. It is not an identity:
    the conversation stays with the visitor's own (provisional) customer, marked
    "unverified, may be X", until the claim is verified: by the embedding site's
    signature, by a code sent to the address, or by an agent who checked."""

    class Method(models.TextChoices):
        SITE = "site", _("Vouched for by the website the chat is on")
        CODE = "code", _("Proved with a code sent to the address")
        AGENT = "agent", _("Confirmed by an agent")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="identity_claims"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactIdentity.Kind.choices)
    address = models.CharField(_("address"), max_length=320)
    # The customer who already had this address when it was claimed: "may be X".
    may_be = models.ForeignKey(
        Customer, verbose_name=_("may be"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.CharField(_("verified by"), max_length=10, choices=Method.choices, blank=True)
    verified_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("identity claim")
        verbose_name_plural = _("identity claims")
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "address"], name="identity_claim_customer_address_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"
