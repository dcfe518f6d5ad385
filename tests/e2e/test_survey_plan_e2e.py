"""End to end: a supervisor, in Thai on a phone, puts NPS before CSAT and drops CES
in the console; the next chat resolved asks NPS on the widget's card, then CSAT.
One ASGI server process, Debian's chromium, the test database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.channels_app.chat.conftest import open_around_the_clock
from tests.e2e.servers import session_cookie_for
from tests.e2e.test_survey_e2e import wait_for
from tests.e2e.widget import agent_answers_and_resolves, chat_start
from tests.factories import make_user
from tickets.models import AgentProfile, Role, Survey, SurveyPlan, Ticket

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots/console2")


def test_a_supervisor_orders_the_questions_and_the_chat_asks_them_so(
    asgi_server, third_party_site, new_context, agent_context, e2e_agent
):
    open_around_the_clock()
    SHOTS.mkdir(parents=True, exist_ok=True)
    supervisor = make_user("lek", roles=[Role.SUPERVISOR], first_name="Lek")
    boss_context = new_context(viewport={"width": 375, "height": 812}, locale="th-TH")
    boss_context.add_cookies([session_cookie_for(supervisor, url=asgi_server.url)])
    boss = boss_context.new_page()
    errors: list[str] = []
    boss.on("pageerror", lambda exc: errors.append(str(exc)))
    boss.goto("/console/settings/surveys/")
    assert boss.locator("h1").inner_text() == "คำถามแบบสำรวจ"
    helpdesk = boss.locator("[data-testid=survey-plan-helpdesk]")
    helpdesk.locator("[data-testid=question-1]").select_option("nps")
    helpdesk.locator("[data-testid=question-2]").select_option("csat")
    helpdesk.locator("[data-testid=question-3]").select_option("")
    helpdesk.locator("[data-testid=survey-plan-save]").click()
    boss.locator(".cn-flash", has_text="บันทึกคำถามแบบสำรวจแล้ว").wait_for()
    assert boss.evaluate("document.documentElement.scrollWidth") <= 375
    boss.screenshot(path=str(SHOTS / "survey-settings-th-375.png"), full_page=True)
    assert SurveyPlan.objects.get(team=None).kinds == ["nps", "csat"]

    # Agents do not see the page, nor its link.
    agent = agent_context.new_page()
    assert agent.goto("/console/settings/surveys/").status == 403
    agent.goto("/console/")
    assert agent.locator("[data-testid=surveys-link]").count() == 0
    wait_for(lambda: AgentProfile.objects.filter(user=e2e_agent, presence="online").exists())

    customer = new_context(viewport={"width": 1280, "height": 800}).new_page()
    customer.goto(third_party_site)
    chat = chat_start(customer, name="Malee", text="Where is my parcel?")
    ticket = wait_for(lambda: Ticket.objects.filter(channel="chat", customer__name="Malee").first())
    agent_answers_and_resolves(agent, chat, ticket_id=ticket.pk, text="It arrives tomorrow.", seen="arrives tomorrow")

    # NPS first (0-10: eleven buttons), then CSAT (1-5), and nothing after.
    first = chat.locator(".chat-survey").first
    first.wait_for()
    assert first.locator(".chat-survey-score").count() == 11
    first.locator(".chat-survey-score", has_text="9").click()
    second = chat.locator(".chat-survey").nth(1)
    second.wait_for()
    assert second.locator(".chat-survey-score").count() == 5
    second.locator(".chat-survey-score", has_text="5").click()
    assert wait_for(lambda: Survey.objects.filter(ticket=ticket, kind="csat", score=5).exists())
    assert list(Survey.objects.filter(ticket=ticket).order_by("id").values_list("kind", "score")) == [
        ("nps", 9), ("csat", 5),
    ]  # fmt: skip
    assert errors == []
