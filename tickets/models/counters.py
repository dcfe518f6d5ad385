"""Exact inbox counts that cost nothing to read.

Each row is a change in the number of tickets with one combination of the values
the inbox counts by (status, channel, priority, assignee, team). On PostgreSQL,
statement triggers on the ticket table insert these deltas in the same
transaction as the change, whatever wrote it (a service, a bulk update, a merge, an
erasure, the pipeline); inserts never wait on each other, so writers are never
serialized on a hot counter row. A periodic task folds the deltas into one row per
combination, which keeps the table at the size of the combinations in use
(migration 0019, `rebuild_inbox_counters`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboxCounter(models.Model):
    status = models.CharField(_("status"), max_length=10)
    channel = models.CharField(_("channel"), max_length=10)
    priority = models.PositiveSmallIntegerField(_("priority"))
    # Plain ids, not foreign keys: a counter never holds a user or a team back.
    assignee_id = models.IntegerField(_("assignee"), null=True)
    team_id = models.IntegerField(_("team"), null=True)
    n = models.IntegerField(_("tickets"))

    class Meta:
        verbose_name = _("inbox counter")
        verbose_name_plural = _("inbox counters")

    def __str__(self) -> str:
        return f"{self.status}/{self.channel}/{self.priority}/{self.assignee_id}/{self.team_id}: {self.n:+d}"
