"""The supervisor dashboard, its CSV export, and the escalation rules pages."""

import json

import pytest
from django.test import Client

from tests.tickets.sla.helpers import deliver_now
from tickets.models import EscalationRule
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor_client(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


def test_the_dashboard_is_for_supervisors_only(supervisor_client, agent):
    page = supervisor_client.get("/console/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-api="/api/v1/kpis/"' in html and "dashboard/dashboard.js" in html
    assert 'data-testid="sla-badge"' in html and 'id="chart-volume"' in html
    assert Client().get("/console/dashboard/").status_code == 302
    agent_client = Client()
    agent_client.force_login(agent)
    assert agent_client.get("/console/dashboard/").status_code == 403
    assert agent_client.get("/console/rules/").status_code == 403
    assert agent_client.get("/console/dashboard/export.csv").status_code == 403


def test_the_csv_export_streams_one_row_per_ticket(supervisor_client, agent, clock, django_capture_on_commit_callbacks, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    clock.set("2026-10-01 10:00")
    ticket = deliver_now(django_capture_on_commit_callbacks, "email", "csv@example.com", "Hi, \"quoted\", commas", subject="A, B").ticket
    clock.set("2026-10-01 10:15")
    reply_create(ticket=ticket, author=agent, text="Hello")
    ticket_set_status(ticket=ticket, status="resolved", actor=agent)
    clock.set("2026-11-01 10:00")
    response = supervisor_client.get("/console/dashboard/export.csv", {"from": "2026-10-01", "to": "2026-10-31"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("ticket,created_at,channel,status,priority,team,assignee,first_response_s")
    assert len(lines) == 2
    row = lines[1].split(",")
    assert row[0] == str(ticket.pk) and row[2] == "email" and row[7] == "900" and row[-1] == "yes"
    bad = supervisor_client.get("/console/dashboard/export.csv", {"from": "2026-10-31", "to": "2026-10-01"})
    assert bad.status_code == 400


def test_supervisors_create_and_edit_rules_in_the_console(supervisor_client):
    assert supervisor_client.get("/console/rules/new/").status_code == 200
    data = {
        "name": "VIP waiting",
        "description": "",
        "active": "on",
        "position": "10",
        "conditions": json.dumps([{"type": "tier", "value": ["vip"]}, {"type": "no_agent_reply_minutes", "value": 30}]),
        "actions": json.dumps([{"type": "notify", "supervisors": True}, {"type": "set_priority", "value": 4}]),
    }
    response = supervisor_client.post("/console/rules/new/", data)
    assert response.status_code == 302
    rule = EscalationRule.objects.get(name="VIP waiting")
    assert rule.conditions[1] == {"type": "no_agent_reply_minutes", "value": 30}
    listing = supervisor_client.get("/console/rules/").content.decode()
    assert "VIP waiting" in listing and f"/console/rules/{rule.pk}/" in listing

    bad = supervisor_client.post(f"/console/rules/{rule.pk}/", {**data, "conditions": json.dumps([{"type": "channel", "value": ["fax"]}])})
    assert bad.status_code == 400
    assert "unknown value(s) fax" in bad.content.decode()
    broken = supervisor_client.post(f"/console/rules/{rule.pk}/", {**data, "actions": "{not json"})
    assert broken.status_code == 400
    rule.refresh_from_db()
    assert rule.conditions[0] == {"type": "tier", "value": ["vip"]}

    assert supervisor_client.post(f"/console/rules/{rule.pk}/delete/").status_code == 302
    assert not EscalationRule.objects.exists()


def test_rules_are_editable_in_the_admin(supervisor):
    supervisor.is_staff = supervisor.is_superuser = True
    supervisor.save()
    client = Client()
    client.force_login(supervisor)
    assert client.get("/admin/tickets/escalationrule/add/").status_code == 200
    assert client.get("/admin/tickets/businesscalendar/add/").status_code == 200
    assert client.get("/admin/tickets/slapolicy/").status_code == 200
