"""Business hours and SLAs: a calendar per team (weekly hours, holidays, time
zone), SLA policies by priority and customer tier, and each ticket's SLA state."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Ticket
from .people import Customer, Team


def validate_time_zone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("%(value)s is not a known time zone"), params={"value": value}) from None


class BusinessCalendar(models.Model):
    """Opening hours of a team. The calendar marked default serves teams without
    one of their own; without any calendar, HELPDESK_BUSINESS_HOURS applies."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Bangkok", validators=[validate_time_zone]
    )
    is_default = models.BooleanField(_("default calendar"), default=False)
    teams = models.ManyToManyField(Team, blank=True, related_name="business_calendars", verbose_name=_("teams"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="calendar_one_default")
        ]

    def __str__(self) -> str:
        return self.name


class BusinessHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("business hours")
        ordering = ["weekday", "opens"]
        verbose_name_plural = _("business hours")
        constraints = [models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="hours_closes_after_opens")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_calendar_date_uniq")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SLAPolicy(models.Model):
    """Targets in business minutes. The most specific active policy wins: priority
    and tier, then priority, then tier, then one that names neither."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Ticket.Priority.choices, null=True, blank=True, help_text=_("Empty: any priority.")
    )
    tier = models.CharField(
        _("customer tier"), max_length=10, choices=Customer.Tier.choices, blank=True, help_text=_("Empty: any tier.")
    )
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["priority", "tier", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "tier"], condition=Q(active=True), name="sla_policy_active_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TicketSLA(models.Model):
    """A ticket's SLA clock. Due times are in wall-clock time, computed on the
    business calendar; time spent pending moves the resolution due time later."""

    ticket = models.OneToOneField(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, primary_key=True, related_name="sla")
    policy = models.ForeignKey(SLAPolicy, verbose_name=_("policy"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_response_target_s = models.PositiveIntegerField(_("first response target (seconds)"), null=True, blank=True)
    resolution_target_s = models.PositiveIntegerField(_("resolution target (seconds)"), null=True, blank=True)
    # Business seconds the ticket spent pending: the resolution clock stood still.
    paused_business_s = models.PositiveIntegerField(_("paused in business hours (seconds)"), default=0)
    first_response_due_at = models.DateTimeField(_("first response due at"), null=True, blank=True)
    first_response_warn_at = models.DateTimeField(_("first response warning at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due at"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(_("resolution warning at"), null=True, blank=True)
    first_response_breached_at = models.DateTimeField(_("first response breached at"), null=True, blank=True)
    resolution_breached_at = models.DateTimeField(_("resolution breached at"), null=True, blank=True)
    # At most one auto-acknowledgement per ticket.
    autoack_sent_at = models.DateTimeField(_("acknowledgement sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name_plural = _("ticket SLAs")
        verbose_name = _("ticket SLA")
        indexes = [
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(first_response_breached_at__isnull=True),
                name="sla_fr_due_open_idx",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(resolution_breached_at__isnull=True),
                name="sla_res_due_open_idx",
            ),
            # The warning times beside the ticket, for the inbox's "SLA at risk" count
            # (see ticket_active_id_idx).
            models.Index(
                fields=["ticket"], include=["first_response_warn_at", "resolution_warn_at"], name="sla_warn_by_ticket_idx"
            ),
        ]

    def __str__(self) -> str:
        return _("SLA of ticket %(ticket)s") % {"ticket": self.ticket_id}

    @property
    def is_breached(self) -> bool:
        return bool(self.first_response_breached_at or self.resolution_breached_at)
