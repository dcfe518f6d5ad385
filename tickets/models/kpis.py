"""KPI rollups: exact counts per day (in settings.TIME_ZONE) and per ticket dimension
(channel, team, assignee), recomputed from the tickets' facts for the days a change
marks stale; and the same counts per calendar month, summed from the days, so that a
long range reads a dozen rows per combination instead of one per day. The dashboard
sums them instead of scanning every ticket.

Team and assignee are plain ids, not foreign keys: a rollup row is a number about
the past and outlives neither nor needs them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class KPIDirtyDay(models.Model):
    """A day whose rollups a change made stale, written in the change's transaction.
    Append-only: the refresh deletes the rows it read, so a change committed while it
    ran leaves its own row for the next one."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("stale KPI day")
        verbose_name_plural = _("stale KPI days")

    def __str__(self) -> str:
        return str(self.day)


class KPIRollup(models.Model):
    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=10)
    team_id = models.BigIntegerField(_("team"), null=True)
    assignee_id = models.BigIntegerField(_("assignee"), null=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.channel} team {self.team_id} assignee {self.assignee_id}"


class KPIMonthRollup(models.Model):
    """The sum of a daily rollup's rows over a calendar month (`month` is its first day)."""

    month = models.DateField(_("month"))
    channel = models.CharField(_("channel"), max_length=10)
    team_id = models.BigIntegerField(_("team"), null=True)
    assignee_id = models.BigIntegerField(_("assignee"), null=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel} team {self.team_id} assignee {self.assignee_id}"


class TicketCounts(models.Model):
    """Tickets created in the period (volume, escalated) and resolved in it (resolved,
    reopened, and those a customer opened: contact_resolved, contact_fcr)."""

    created = models.PositiveIntegerField(_("created"), default=0)
    escalated = models.PositiveIntegerField(_("escalated"), default=0)
    resolved = models.PositiveIntegerField(_("resolved"), default=0)
    reopened = models.PositiveIntegerField(_("reopened"), default=0)
    contact_resolved = models.PositiveIntegerField(_("resolved contacts"), default=0)
    contact_fcr = models.PositiveIntegerField(_("resolved on first contact"), default=0)

    class Meta:
        abstract = True


class SurveyCounts(models.Model):
    """Survey answers given in the period, per question, scale and score."""

    kind = models.CharField(_("kind"), max_length=4)
    scale_max = models.PositiveSmallIntegerField(_("highest score"))
    score = models.PositiveSmallIntegerField(_("score"))
    answers = models.PositiveIntegerField(_("answers"), default=0)

    class Meta:
        abstract = True


class ReplyCounts(models.Model):
    """Agents' public replies written in the period, per author."""

    author_id = models.BigIntegerField(_("author"))
    replies = models.PositiveIntegerField(_("replies"), default=0)

    class Meta:
        abstract = True


class TagCounts(models.Model):
    """Tickets created in the period, per tag."""

    tag_id = models.BigIntegerField(_("tag"))
    tickets = models.PositiveIntegerField(_("tickets"), default=0)

    class Meta:
        abstract = True


class DurationCounts(models.Model):
    """Tickets per bucket of one duration (tickets/services/kpi_durations.py's grid):
    first responses by the day the ticket was created, resolutions by the day it was
    resolved. They tell which few tickets hold a percentile's rank. Each measure is
    counted over every ticket, and again per channel, per team and per assignee
    (under the measure's `_by_channel`, `_by_team` and `_by_assignee` names, with that
    one column set), so that a call filtered on one of them reads its own buckets; not
    per combination, whose buckets would multiply."""

    measure = models.CharField(_("measure"), max_length=40)
    # Only for a measure counted per channel, team or assignee: that one (else empty).
    channel = models.CharField(_("channel"), max_length=10, blank=True, default="")
    team_id = models.BigIntegerField(_("team"), null=True)
    assignee_id = models.BigIntegerField(_("assignee"), null=True)
    bucket = models.PositiveIntegerField(_("bucket"))
    tickets = models.PositiveIntegerField(_("tickets"), default=0)

    class Meta:
        abstract = True


class KPITicketDay(KPIRollup, TicketCounts):
    class Meta:
        verbose_name = _("KPI day of tickets")
        verbose_name_plural = _("KPI days of tickets")
        indexes = [models.Index(fields=["day"], name="kpi_ticket_day_idx")]


class KPISurveyDay(KPIRollup, SurveyCounts):
    class Meta:
        verbose_name = _("KPI day of survey answers")
        verbose_name_plural = _("KPI days of survey answers")
        indexes = [models.Index(fields=["day"], name="kpi_survey_day_idx")]


class KPIReplyDay(KPIRollup, ReplyCounts):
    class Meta:
        verbose_name = _("KPI day of agent replies")
        verbose_name_plural = _("KPI days of agent replies")
        indexes = [models.Index(fields=["day"], name="kpi_reply_day_idx")]


class KPITagDay(KPIRollup, TagCounts):
    class Meta:
        verbose_name = _("KPI day of tags")
        verbose_name_plural = _("KPI days of tags")
        indexes = [models.Index(fields=["day"], name="kpi_tag_day_idx")]


class KPITicketMonth(KPIMonthRollup, TicketCounts):
    class Meta:
        verbose_name = _("KPI month of tickets")
        verbose_name_plural = _("KPI months of tickets")
        indexes = [models.Index(fields=["month"], name="kpi_ticket_month_idx")]


class KPISurveyMonth(KPIMonthRollup, SurveyCounts):
    class Meta:
        verbose_name = _("KPI month of survey answers")
        verbose_name_plural = _("KPI months of survey answers")
        indexes = [models.Index(fields=["month"], name="kpi_survey_month_idx")]


class KPIReplyMonth(KPIMonthRollup, ReplyCounts):
    class Meta:
        verbose_name = _("KPI month of agent replies")
        verbose_name_plural = _("KPI months of agent replies")
        indexes = [models.Index(fields=["month"], name="kpi_reply_month_idx")]


class KPITagMonth(KPIMonthRollup, TagCounts):
    class Meta:
        verbose_name = _("KPI month of tags")
        verbose_name_plural = _("KPI months of tags")
        indexes = [models.Index(fields=["month"], name="kpi_tag_month_idx")]


def duration_indexes(period: str) -> list[models.Index]:
    return [
        # Reads: a measure's rows of a range, from the index alone (PostgreSQL).
        models.Index(
            fields=["measure", period],
            include=["bucket", "channel", "team_id", "assignee_id", "tickets"],
            name=f"kpi_duration_{period}_idx",
        ),
        # The refresh deletes by period, every measure's rows.
        models.Index(fields=[period], name=f"kpi_duration_{period}_only_idx"),
    ]


class KPIDurationDay(DurationCounts):
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("KPI day of durations")
        verbose_name_plural = _("KPI days of durations")
        indexes = duration_indexes("day")

    def __str__(self) -> str:
        return f"{self.day} {self.measure} bucket {self.bucket}"


class KPIDurationMonth(DurationCounts):
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("KPI month of durations")
        verbose_name_plural = _("KPI months of durations")
        indexes = duration_indexes("month")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.measure} bucket {self.bucket}"


class KPIFirstResponseDay(models.Model):
    """The median first response of the tickets created on a day, as percentile_cont
    gives it, recomputed with the day's other rollups: a range's daily trend reads one
    row per day instead of ranking each day's tickets."""

    # One row per day, not a unique key: the refresh deletes and inserts a day's row
    # in one statement, whose unique check would still meet the deleted row.
    day = models.DateField(_("day"))
    median_s = models.FloatField(_("median first response (seconds)"))

    class Meta:
        verbose_name = _("KPI day of first responses")
        verbose_name_plural = _("KPI days of first responses")
        indexes = [models.Index(fields=["day"], include=["median_s"], name="kpi_first_response_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} median {self.median_s}"
