"""Who the helpdesk serves and who serves: customers with their identities (one per
normalized address), staff roles, teams and the agents' profiles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Staff roles, stored as Django groups of these names."""

    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    class Presence(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="agent_profile"
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="agents")
    # Replies of agents in training wait for a supervisor's approval.
    in_training = models.BooleanField(_("in training"), default=False)
    capacity = models.PositiveSmallIntegerField(_("open tickets at most"), default=20)
    presence = models.CharField(_("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)
    signature = models.TextField(_("signature"), blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return str(self.user)


class Customer(models.Model):
    class Tier(models.TextChoices):
        STANDARD = "standard", _("Standard")
        PREMIUM = "premium", _("Premium")
        VIP = "vip", _("VIP")

    name = models.CharField(_("name"), max_length=200, blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    language = models.CharField(_("language"), max_length=8, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Set on the customer that was merged away; its rows all moved to the target.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
    )
    # A portal account; customers sign in without a password.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    last_inbound_at = models.DateTimeField(_("last inbound at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["name"], name="customer_name_idx")]

    def __str__(self) -> str:
        return self.name or _("Customer #%(id)s") % {"id": self.pk}

    @property
    def is_vip(self) -> bool:
        return self.tier == self.Tier.VIP


class ContactIdentity(models.Model):
    """One normalized address of a customer. SMS and WhatsApp from one number share
    the `phone` identity; `whatsapp` is only for WhatsApp users without a number."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        WHATSAPP = "whatsapp", _("WhatsApp ID")
        CHAT = "chat", _("Chat visitor")
        LINE = "line", _("LINE user ID")
        MESSENGER = "messenger", _("Messenger PSID")
        INSTAGRAM = "instagram", _("Instagram IGSID")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="identities"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=320)
    # The address with what varies removed (an email's +tag), to find plus-addresses.
    lookup_key = models.CharField(_("lookup key"), max_length=320, db_index=True)
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("contact identity")
        constraints = [models.UniqueConstraint(fields=["kind", "address"], name="identity_kind_address_uniq")]
        verbose_name_plural = _("contact identities")

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"
