"""End to end: a supervisor opens the dashboard and sees tiles, SVG charts and the
agent table drawn from the KPI API, changes a filter, then builds an escalation
rule with the form builder. One ASGI server process, Debian's chromium."""

from __future__ import annotations

import pytest

from tests.e2e.servers import session_cookie_for
from tests.factories import deliver, make_user
from tickets.models import EscalationRule, Role
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.e2e


def test_the_dashboard_draws_and_the_rule_builder_saves(new_context, asgi_server, e2e_agent):
    supervisor = make_user("lek", roles=[Role.SUPERVISOR], first_name="Lek")
    for n, channel in enumerate(["email", "sms", "whatsapp", "sms"]):
        sender = f"c{n}@example.com" if channel == "email" else f"+6686000000{n}"
        ticket = deliver(channel, sender, "บริการแย่มาก" if n else "Where is my order?", subject="Order").ticket
        reply_create(ticket=ticket, author=e2e_agent, text="Sorted")
        ticket_set_status(ticket=ticket, status="resolved", actor=e2e_agent)

    context = new_context(viewport={"width": 390, "height": 844})  # a phone
    context.add_cookies([session_cookie_for(supervisor, url=asgi_server.url)])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/console/dashboard/")
    page.wait_for_selector("#chart-volume svg")
    assert page.locator('[data-kpi="first_response"] strong').inner_text() != "–"
    assert page.locator("#chart-channels svg path").count() == 3  # email, SMS, WhatsApp
    assert "Nok Sukjai" in page.locator("#db-agents tbody").inner_text()
    page.select_option('select[name="channel"]', "sms")
    page.wait_for_function("document.querySelectorAll('#chart-channels svg path').length === 1")
    assert "channel=sms" in page.locator("#db-export").get_attribute("href")
    assert not errors, errors

    page.goto("/console/rules/new/")
    page.fill("#id_name", "Angry SMS")
    rows = page.locator('[data-builder="conditions"] .rl-row')
    rows.first.locator("input[value=sms]").check()
    page.locator('[data-builder="conditions"] .rl-add').click()
    rows.nth(1).locator(".rl-type").select_option("sentiment")
    # The types read by their names, not by their keys.
    assert rows.nth(1).locator(".rl-type option:checked").inner_text() == "Customer sentiment"
    page.locator('[data-builder="actions"] .rl-type').select_option("add_tag")
    page.locator('[data-builder="actions"] .rl-inputs input').fill("angry")
    page.click("text=Save rule")
    page.wait_for_url("**/console/rules/")
    rule = EscalationRule.objects.get(name="Angry SMS")
    assert rule.conditions == [{"type": "channel", "value": ["sms"]}, {"type": "sentiment", "value": "negative"}]
    assert rule.actions == [{"type": "add_tag", "value": "angry"}]
    assert not errors, errors
