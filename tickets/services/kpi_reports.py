"""The KPI report emailed to supervisors: the headline figures of the last complete
period (a week, Monday to Sunday, or a day, in the team's time zone), their change
from the period before, and the tickets as a CSV attachment, in each reader's
language.

Celery beat runs `kpi_reports_send` every quarter of an hour. Each recipient and
period gets one KPIReportDelivery row, locked while its email goes out: a second
run, at the same time or later, finds it sent and sends nothing."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from tickets.models import KPIReportDelivery, KPIReportPreference, Role
from tickets.selectors.kpis import KPI_TICKET_COLUMNS, KPIFilters, kpi_summary, kpi_ticket_rows
from tickets.templatetags.kpi_tags import duration

logger = logging.getLogger(__name__)
User = get_user_model()
PERIODS = (KPIReportPreference.Period.WEEKLY, KPIReportPreference.Period.DAILY)


@dataclass(frozen=True)
class ReportPeriod:
    kind: str
    start: date
    end: date

    @property
    def previous(self) -> ReportPeriod:
        length = self.end - self.start + timedelta(days=1)
        return ReportPeriod(self.kind, self.start - length, self.end - length)


def report_period(*, kind: str, today: date) -> ReportPeriod:
    """The last complete period before `today` (a date in the team's time zone)."""
    if kind == KPIReportPreference.Period.DAILY:
        yesterday = today - timedelta(days=1)
        return ReportPeriod(kind, yesterday, yesterday)
    monday = today - timedelta(days=today.weekday())
    return ReportPeriod(kind, monday - timedelta(days=7), monday - timedelta(days=1))


def report_recipients() -> list[tuple[Any, str, str]]:
    """(user, period, language) of every active supervisor or admin with an email."""
    users = (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[Role.SUPERVISOR, Role.ADMIN]) | Q(is_superuser=True))
        .exclude(email="")
        .select_related("kpi_report_preference")
        .distinct()
        .order_by("pk")
    )
    recipients = []
    for user in users:
        preference = getattr(user, "kpi_report_preference", None)
        period = preference.period if preference else settings.HELPDESK_KPI_REPORT_PERIOD
        language = (preference.language if preference else "") or settings.LANGUAGE_CODE
        if period in PERIODS:
            recipients.append((user, period, language))
    return recipients


def kpi_reports_send(*, now: datetime | None = None) -> int:
    """Sends the reports that are due; returns how many went out."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    summaries: dict[ReportPeriod, tuple[dict, dict, bytes]] = {}
    sent = 0
    for user, kind, language in report_recipients():
        period = report_period(kind=kind, today=today)
        if period not in summaries:
            summaries[period] = _figures(period, now)
        if _send_once(user=user, period=period, language=language, figures=summaries[period]):
            sent += 1
    return sent


def _figures(period: ReportPeriod, now: datetime) -> tuple[dict, dict, bytes]:
    current = kpi_summary(filters=KPIFilters(date_from=period.start, date_to=period.end), now=now)
    previous = kpi_summary(filters=KPIFilters(date_from=period.previous.start, date_to=period.previous.end), now=now)
    return current, previous, _csv(period, now)


def _csv(period: ReportPeriod, now: datetime) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _key in KPI_TICKET_COLUMNS])
    for row in kpi_ticket_rows(filters=KPIFilters(date_from=period.start, date_to=period.end), now=now).iterator():
        writer.writerow(["" if row[key] is None else row[key] for _header, key in KPI_TICKET_COLUMNS])
    # A byte-order mark, so that spreadsheet programs read the Thai as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _send_once(*, user, period: ReportPeriod, language: str, figures: tuple[dict, dict, bytes]) -> bool:
    with transaction.atomic():
        KPIReportDelivery.objects.get_or_create(
            recipient=user, period=period.kind, period_start=period.start, defaults={"period_end": period.end}
        )
        delivery = KPIReportDelivery.objects.select_for_update().get(
            recipient=user, period=period.kind, period_start=period.start
        )
        if delivery.status == KPIReportDelivery.Status.SENT:
            return False
        # Sent while the row is locked: a concurrent run waits, then finds it sent. A
        # failure rolls the row back and the next run tries again.
        report_email(user=user, period=period, language=language, figures=figures).send()
        delivery.status = KPIReportDelivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["status", "sent_at"])
    return True


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{formats.number_format(100 * value, 1)}%"


def _num(value: float | None, digits: int) -> str:
    return "–" if value is None else formats.number_format(value, digits)


def _change(current: float | None, previous: float | None, *, lower_is_better: bool = False) -> dict[str, Any]:
    if current is None or previous is None:
        return {"arrow": "", "better": None}
    if current == previous:
        return {"arrow": "→", "better": None}
    up = current > previous
    return {"arrow": "↑" if up else "↓", "better": up != lower_is_better}


def headline_rows(current: dict, previous: dict) -> list[dict[str, Any]]:
    """The figures a person reads, rounded here and only here, with their previous value."""

    def row(label, now_value, before_value, fmt, *, lower_is_better=False):
        return {
            "label": label, "value": fmt(now_value), "previous": fmt(before_value),
            **_change(now_value, before_value, lower_is_better=lower_is_better),
        }  # fmt: skip

    frt, frt_before = current["first_response_time"], previous["first_response_time"]
    res, res_before = current["resolution_time"], previous["resolution_time"]
    return [
        row(_("Tickets created"), current["volume"], previous["volume"], lambda v: _num(v, 0)),
        row(_("First contact resolution"), current["fcr_rate"], previous["fcr_rate"], _pct),
        row(_("First response (median)"), frt["median_s"], frt_before["median_s"], duration, lower_is_better=True),
        row(_("Resolution (median)"), res["median_s"], res_before["median_s"], duration, lower_is_better=True),
        row(_("CSAT"), current["csat"]["average"], previous["csat"]["average"], lambda v: _num(v, 2)),
        row(_("Customer effort"), current["ces"]["average"], previous["ces"]["average"], lambda v: _num(v, 2)),
        row(_("NPS"), current["nps"]["score"], previous["nps"]["score"], lambda v: _num(v, 1)),
        row(_("Reopened"), current["reopen_rate"], previous["reopen_rate"], _pct, lower_is_better=True),
        row(_("Escalated"), current["escalation_rate"], previous["escalation_rate"], _pct, lower_is_better=True),
    ]


def report_email(*, user, period: ReportPeriod, language: str, figures: tuple[dict, dict, bytes]) -> EmailMultiAlternatives:
    current, previous, attachment = figures
    with translation.override(language):
        dates = {
            "start": formats.date_format(period.start, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(period.end, "SHORT_DATE_FORMAT"),
        }
        if period.kind == KPIReportPreference.Period.DAILY:
            subject = _("Helpdesk figures for %(start)s") % dates
        else:
            subject = _("Helpdesk figures for the week %(start)s – %(end)s") % dates
        context = {
            "name": user.get_full_name() or user.get_username(),
            "subject": subject,
            "rows": headline_rows(current, previous),
            "backlog": current["backlog"]["now"],
            "dashboard_url": f"{settings.HELPDESK_PUBLIC_URL}/console/dashboard/?from={period.start}&to={period.end}",
            "time_zone": settings.TIME_ZONE,
        }
        text = render_to_string("dashboard/report_email.txt", context)
        html = render_to_string("dashboard/report_email.html", context)
    email = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    email.attach_alternative(html, "text/html")
    email.attach(f"kpis-{period.start}-{period.end}.csv", attachment, "text/csv")
    return email
