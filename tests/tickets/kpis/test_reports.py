"""The scheduled KPI report: who gets it, what it says, in which language, once."""

import pytest
from django.core import mail

from tests.factories import make_user
from tests.tickets.sla.helpers import deliver_now
from tickets.models import KPIReportDelivery, KPIReportPreference, Role, Ticket
from tickets.services.kpi_reports import kpi_reports_send
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status
from tickets.tasks import send_kpi_reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def weeks(clock, agent, django_capture_on_commit_callbacks):
    """One ticket in the week of 28 September, two in the week of 5 October 2026."""
    capture = django_capture_on_commit_callbacks
    for when, sender in (("2026-09-29 10:00", "+66810000201"), ("2026-10-06 10:00", "+66810000202"),
                         ("2026-10-07 10:00", "+66810000203")):  # fmt: skip
        clock.set(when)
        ticket = deliver_now(capture, "sms", sender, "Help please").ticket
        clock.set(when.replace("10:00", "10:20"))
        reply_create(ticket=ticket, author=agent, text="Done")
        with capture(execute=True):
            ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    clock.set("2026-10-12 08:00")  # Monday


@pytest.fixture
def supervisors(roles):
    english = make_user("sup-en", roles=[Role.SUPERVISOR], email="en@example.com")
    thai = make_user("sup-th", roles=[Role.SUPERVISOR], email="th@example.com")
    KPIReportPreference.objects.create(user=thai, language="th")
    quiet = make_user("sup-off", roles=[Role.SUPERVISOR], email="off@example.com")
    KPIReportPreference.objects.create(user=quiet, period="off")
    make_user("agent-only", roles=[Role.AGENT], email="agent@example.com")
    return english, thai


def test_the_weekly_report_goes_once_to_each_supervisor_in_their_language(weeks, supervisors, settings):
    settings.HELPDESK_KPI_REPORT_PERIOD = "weekly"
    mail.outbox.clear()
    send_kpi_reports.apply()
    assert sorted(m.to[0] for m in mail.outbox) == ["en@example.com", "th@example.com"]
    english = next(m for m in mail.outbox if m.to == ["en@example.com"])
    thai = next(m for m in mail.outbox if m.to == ["th@example.com"])
    assert english.subject == "Helpdesk figures for the week 10/05/2026 – 10/11/2026"
    assert thai.subject == "ตัวเลขของฝ่ายบริการลูกค้า สัปดาห์ 5 ต.ค. 2026 – 11 ต.ค. 2026"
    # Two tickets this week against one the week before; each got its reply after 20 minutes.
    assert "Tickets created: 2 ↑ (before: 1)" in english.body
    assert "First response (median): 20 min → (before: 20 min)" in english.body
    assert "คำขอที่เปิด: 2 ↑ (ก่อนหน้า: 1)" in thai.body
    assert "ตอบกลับครั้งแรก (ค่ามัธยฐาน): 20 นาที" in thai.body
    filename, content, mimetype = english.attachments[0]
    assert filename == "kpis-2026-10-05-2026-10-11.csv" and mimetype == "text/csv"
    # Django hands a text/* attachment back decoded; the byte-order mark is for spreadsheets.
    text = content if isinstance(content, str) else content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("ticket,created_at")
    # Run again, and again: nothing more goes out.
    send_kpi_reports.apply()
    assert kpi_reports_send() == 0
    assert len(mail.outbox) == 2
    assert KPIReportDelivery.objects.filter(status="sent").count() == 2


def test_a_daily_reader_gets_yesterday(weeks, supervisors, clock):
    english, _thai = supervisors
    KPIReportPreference.objects.create(user=english, period="daily")
    mail.outbox.clear()
    clock.set("2026-10-08 07:00")
    kpi_reports_send()
    daily = next(m for m in mail.outbox if m.to == ["en@example.com"])
    assert daily.attachments[0][0] == "kpis-2026-10-07-2026-10-07.csv"
    assert "Tickets created: 1 ↓ (before: 1)" not in daily.body and "Tickets created: 1 → (before: 1)" in daily.body
