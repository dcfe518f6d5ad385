"""What agents reuse in the console: canned responses and macros."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Ticket
from .people import Team


class CannedResponse(models.Model):
    """A reply text with placeholders ({{customer.name}}, {{ticket.reference}},
    {{agent.name}}). Shared with everyone, a team, or kept by one agent."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("body"))
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="canned_responses"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Macro(models.Model):
    """A canned reply plus ticket changes, applied in one click."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    reply_body = models.TextField(_("reply"), blank=True)
    set_status = models.CharField(_("set status"), max_length=10, choices=Ticket.Status.choices, blank=True)
    set_priority = models.PositiveSmallIntegerField(
        _("set priority"), choices=Ticket.Priority.choices, null=True, blank=True
    )
    add_tags = models.JSONField(_("add tags"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerMerge(models.Model):
    """One merge of a customer into another, with what moved, so that it can be
    undone: the identities, tickets and messages that moved, and the target's
    fields as they were before the merge filled them in."""

    source = models.ForeignKey(
        "tickets.Customer", verbose_name=_("merged customer"), on_delete=models.CASCADE, related_name="merges_out"
    )
    target = models.ForeignKey(
        "tickets.Customer", verbose_name=_("merged into"), on_delete=models.CASCADE, related_name="merges_in"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("merged by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    identity_ids = models.JSONField(_("identities"), default=list)
    ticket_ids = models.JSONField(_("tickets"), default=list)
    message_ids = models.JSONField(_("messages"), default=list)
    target_before = models.JSONField(_("target before the merge"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("undone by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        indexes = [models.Index(fields=["source", "-created_at"], name="customer_merge_source_idx")]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


class SavedView(models.Model):
    """An inbox view an agent saved: its filters, search and order, as the inbox's
    query string."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query"), max_length=1000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_user_name_uniq")]

    def __str__(self) -> str:
        return self.name
