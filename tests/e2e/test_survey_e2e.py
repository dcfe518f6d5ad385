"""End to end: an agent resolves a live chat in the console, the customer rates the
conversation on the card in the widget, and the supervisor's dashboard shows the new
CSAT; the agent ends the chat and the widget says so. One ASGI server process,
Debian's chromium, the test database."""

from __future__ import annotations

import time

import pytest

from tests.channels_app.chat.conftest import open_around_the_clock
from tests.e2e.servers import session_cookie_for
from tests.e2e.widget import agent_answers_and_resolves, chat_start
from tests.factories import make_user
from tickets.models import AgentProfile, ChatSessionLog, Message, Role, Survey, Ticket

pytestmark = pytest.mark.e2e


def wait_for(predicate, *, timeout: float = 10.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the condition")


def test_a_chat_customer_rates_the_conversation_and_the_dashboard_shows_it(
    asgi_server, third_party_site, new_context, agent_context, e2e_agent
):
    open_around_the_clock()
    supervisor = make_user("lek", roles=[Role.SUPERVISOR], first_name="Lek")
    agent = agent_context.new_page()
    agent.goto("/console/")
    wait_for(lambda: AgentProfile.objects.filter(user=e2e_agent, presence="online").exists())

    # The supervisor's dashboard, on a phone: no CSAT yet.
    boss_context = new_context(viewport={"width": 390, "height": 844})
    boss_context.add_cookies([session_cookie_for(supervisor, url=asgi_server.url)])
    boss = boss_context.new_page()
    errors: list[str] = []
    boss.on("pageerror", lambda exc: errors.append(str(exc)))
    boss.goto("/console/dashboard/")
    csat_tile = boss.locator('[data-kpi="csat"] strong')
    boss.wait_for_function("document.querySelector('#db-updated').textContent !== ''")
    assert csat_tile.inner_text() == "–"

    customer = new_context(viewport={"width": 1280, "height": 800}).new_page()
    customer.goto(third_party_site)
    chat = chat_start(customer, name="Somchai", text="My coupon does not work")
    ticket = wait_for(lambda: Ticket.objects.filter(channel="chat", customer__name="Somchai").first())
    assert wait_for(lambda: ChatSessionLog.objects.filter(ticket=ticket, ended_at__isnull=True).exists())

    # The agent answers and resolves in the console.
    agent_answers_and_resolves(agent, chat, ticket_id=ticket.pk, text="Fixed: try it again now.", seen="try it again")

    # The first question arrives as a rating card; the customer taps 4.
    card = chat.locator(".chat-survey").first
    card.wait_for()
    assert card.locator(".chat-survey-score").count() == 5
    card.locator(".chat-survey-score", has_text="4").click()
    card.locator(".chat-survey-note").wait_for()
    assert card.locator(".chat-survey-picked").inner_text() == "4"
    # The next question (customer effort, 1-7) follows in its own card.
    chat.locator(".chat-survey").nth(1).wait_for()
    assert chat.locator(".chat-survey").nth(1).locator(".chat-survey-score").count() == 7

    # The answer is on the survey, not in the conversation: the ticket stays resolved.
    assert wait_for(lambda: Survey.objects.filter(ticket=ticket, kind="csat", score=4).exists())
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == ("resolved", 0)
    assert Message.objects.filter(ticket=ticket, direction="in").count() == 1

    # The dashboard's CSAT changes.
    boss.reload()
    boss.wait_for_function("document.querySelector('[data-kpi=\"csat\"] strong').textContent !== '–'")
    assert csat_tile.inner_text() == "4.00"
    # Its chart labels are drawn at their shown size: readable on the phone.
    label = boss.locator("#chart-csat svg text").first.bounding_box()
    assert label["height"] >= 11, label
    # The tile opens the answers behind it.
    boss.locator('[data-kpi="csat"] a').click()
    boss.wait_for_url("**/console/dashboard/rows/**")
    assert "4 / 5" in boss.locator("[data-testid=kpi-rows]").inner_text()

    # The agent ends the chat: the customer's widget says so.
    agent.reload()
    agent.locator("[data-testid=end-chat]").click()
    chat.locator("#chat-status", has_text="ended").wait_for()
    assert ChatSessionLog.objects.get(ticket=ticket).end_reason == "agent"
    assert not errors, errors
