"""The transactional outbox: work that a change asks for, written in the change's own
transaction, so that a crash or a broker outage after the commit delays it and never
loses it. A relay hands each row to Celery and deletes it once the broker took it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxItem(models.Model):
    # The Celery task to run, by its registered name.
    task = models.CharField(_("task"), max_length=150)
    args = models.JSONField(_("arguments"), default=list)
    # Rows of a batched task are handed over together: one task call with every row's
    # first argument in a list (follow-ups run in batches, not one task per message).
    batched = models.BooleanField(_("batched"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Not before: a countdown, or the backoff after the broker refused the hand-over.
    available_at = models.DateTimeField(_("available at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox item")
        verbose_name_plural = _("outbox items")
        indexes = [models.Index(fields=["available_at", "id"], name="outbox_available_idx")]

    def __str__(self) -> str:
        return f"{self.task}{self.args}"
