"""Supervisors choose the survey questions and their order in the console, for the whole
helpdesk and per team; the next resolution asks them in that order, on every channel."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import make_user
from tickets.models import Message, Role, Survey, SurveyPlan, Team
from tickets.services.replies import reply_create
from tickets.services.survey_plans import survey_plan_kinds

pytestmark = pytest.mark.django_db

PAGE = "/console/settings/surveys/"


@pytest.fixture
def resolve_for(resolve, agent):
    """A ticket of `team`, answered by an agent and resolved: its survey goes out."""

    def resolve_ticket(ticket, team):
        ticket.team = team
        ticket.save(update_fields=["team"])
        reply_create(ticket=ticket, author=agent, text="Done")
        return resolve(ticket)

    return resolve_ticket


def _asked(ticket) -> list[str]:
    questions = Message.objects.filter(ticket=ticket, direction="out", is_automatic=True, metadata__has_key="survey")
    return [m.metadata["survey"]["kind"] for m in questions.order_by("id")]


def test_a_supervisor_reorders_a_teams_questions_and_the_next_resolution_asks_them_so(
    supervisor_browser, run, resolve_for, settings
):
    settings.HELPDESK_AUTOACK_ENABLED = False
    settings.HELPDESK_SURVEY_KINDS = ["csat", "ces", "nps"]
    billing, sales = Team.objects.create(name="Billing"), Team.objects.create(name="Sales")
    page = supervisor_browser.get(PAGE)
    assert page.status_code == 200
    assert page.content.decode().count('name="question"') == 3 * 3  # the helpdesk and two teams

    # Billing asks NPS, then CES; no CSAT. The empty middle slot closes up.
    saved = supervisor_browser.post(PAGE, {"team": billing.pk, "question": ["nps", "", "ces"]})
    assert saved.status_code == 302
    assert SurveyPlan.objects.get(team=billing).kinds == ["nps", "ces"]
    html = supervisor_browser.get(PAGE).content.decode()
    card = html.split(f'data-testid="survey-plan-{billing.pk}"')[1].split("</section>")[0]
    chosen = [part.split('"')[0] for part in card.split('<option value="')[1:] if '" selected' in part.split(">")[0]]
    assert chosen == ["nps", "ces", ""] and 'data-testid="survey-plan-reset"' in card

    sms = resolve_for(run("sms", "+66840000101", "My bill is wrong").ticket, billing)
    assert _asked(sms) == ["nps"]
    run("sms", "+66840000101", "9")
    assert _asked(sms) == ["nps", "ces"]
    run("sms", "+66840000101", "6")
    assert _asked(sms) == ["nps", "ces"]
    assert dict(Survey.objects.filter(ticket=sms).values_list("kind", "score")) == {"nps": 9, "ces": 6}

    # Sales follows the whole helpdesk, which a supervisor sets to CES then CSAT: by email, one page.
    assert supervisor_browser.post(PAGE, {"team": "", "question": ["ces", "csat", ""]}).status_code == 302
    email = resolve_for(run("email", "buyer@example.com", "Quote please", subject="Quote").ticket, sales)
    assert list(Survey.objects.filter(ticket=email).order_by("id").values_list("kind", flat=True)) == ["ces", "csat"]

    # Billing goes back to the helpdesk's questions.
    assert supervisor_browser.post(f"{PAGE}reset/", {"team": billing.pk}).status_code == 302
    assert survey_plan_kinds(team_id=billing.pk) == ["ces", "csat"]
    assert supervisor_browser.post(f"{PAGE}reset/", {"team": ""}).status_code == 302
    assert not SurveyPlan.objects.exists() and survey_plan_kinds(team_id=sales.pk) == ["csat", "ces", "nps"]


def test_chat_asks_the_teams_first_question_as_a_card(supervisor_browser, run, resolve_for, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    team = Team.objects.create(name="Chat")
    supervisor_browser.post(PAGE, {"team": team.pk, "question": ["ces", "csat"]})
    chat = resolve_for(run("chat", "visitor-plan-1", "Hello?").ticket, team)
    assert _asked(chat) == ["ces"]


def test_agents_may_not_choose_the_questions(roles):
    agent = make_user("agent-plan", roles=[Role.AGENT])
    browser = Client()
    browser.force_login(agent)
    assert browser.get(PAGE).status_code == 403
    assert browser.post(PAGE, {"team": "", "question": ["nps"]}).status_code == 403
    assert browser.post(f"{PAGE}reset/", {"team": ""}).status_code == 403
    assert not SurveyPlan.objects.exists()
    assert Client().get(PAGE).status_code == 302  # strangers go to the sign-in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"team": "", "question": ["", "", ""]}, "Choose at least one question."),
        ({"team": "", "question": ["csat", "csat"]}, "Each question can be asked only once."),
        ({"team": "", "question": ["csat", "wow"]}, "Unknown question: wow."),
        ({"team": "999999", "question": ["csat"]}, "This team does not exist."),
        ({"team": "abc", "question": ["csat"]}, "This team does not exist."),
    ],
)
def test_bad_choices_are_refused_with_a_clear_message(supervisor_browser, data, message):
    answer = supervisor_browser.post(PAGE, data)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not SurveyPlan.objects.exists()


def test_the_page_reads_in_constant_queries_and_in_thai(supervisor_browser, supervisor):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert supervisor_browser.get(PAGE).status_code == 200
        return len(captured)

    Team.objects.create(name="One")
    few = queries()
    for n in range(5):
        team = Team.objects.create(name=f"Team {n}")
        SurveyPlan.objects.create(team=team, kinds=["nps"])
    assert queries() == few
    supervisor_browser.cookies["django_language"] = "th"
    assert "คำถามแบบสำรวจ" in supervisor_browser.get(PAGE).content.decode()


def test_resolving_reads_the_plan_in_one_query():
    team = Team.objects.create(name="Q")
    SurveyPlan.objects.create(team=None, kinds=["nps", "csat"])
    with CaptureQueriesContext(connection) as captured:
        assert survey_plan_kinds(team_id=team.pk) == ["nps", "csat"]
    assert len(captured) == 1
    SurveyPlan.objects.create(team=team, kinds=["ces"])
    assert survey_plan_kinds(team_id=team.pk) == ["ces"] and survey_plan_kinds(team_id=None) == ["nps", "csat"]
