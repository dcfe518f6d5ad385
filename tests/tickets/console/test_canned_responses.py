"""Canned responses: personal, team and shared, managed in the console and through
/api/v1/canned-responses/ under the same rules, and seeded in Thai and English."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_user
from tickets.models import CannedResponse, Role, Team
from tickets.services.demo import demo_users_ensure
from tickets.services.demo.canned import demo_canned_seed

pytestmark = pytest.mark.django_db
API = "/api/v1/canned-responses/"


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_an_agent_writes_a_personal_response_on_the_page_and_finds_it(agent_browser, agent):
    response = agent_browser.post(
        "/console/canned/", {"title": "ขอบคุณ", "body": "ขอบคุณค่ะ คุณ{{customer.name}}", "scope": "personal"}
    )
    assert response.status_code == 302
    saved = CannedResponse.objects.get()
    assert (saved.owner, saved.team, saved.title) == (agent, None, "ขอบคุณ")
    page = agent_browser.get("/console/canned/?q=คุณ").content.decode()
    assert "ขอบคุณค่ะ" in page and 'data-testid="canned-edit"' in page
    assert "ขอบคุณค่ะ" not in agent_browser.get("/console/canned/?q=refund").content.decode()


def test_only_supervisors_share_with_everyone_and_only_members_write_for_a_team(agent_browser, agent, supervisor):
    billing, sales = Team.objects.create(name="Billing"), Team.objects.create(name="Sales")
    agent.agent_profile.teams.add(billing)
    shared = agent_browser.post("/console/canned/", {"title": "All", "body": "x", "scope": "shared"})
    assert shared.status_code == 400 and "You may not manage this canned response." in shared.content.decode()
    foreign = agent_browser.post("/console/canned/", {"title": "S", "body": "x", "scope": "team", "team": sales.pk})
    assert foreign.status_code == 400
    no_team = agent_browser.post("/console/canned/", {"title": "S", "body": "x", "scope": "team"})
    assert "Choose the team this response is for." in no_team.content.decode()
    ok = agent_browser.post("/console/canned/", {"title": "B", "body": "x", "scope": "team", "team": billing.pk})
    assert ok.status_code == 302 and CannedResponse.objects.get().team == billing

    everyone = CannedResponse.objects.create(title="Shared one", body="x")
    assert agent_browser.get(f"/console/canned/{everyone.pk}/").status_code == 403
    assert agent_browser.post(f"/console/canned/{everyone.pk}/delete/").status_code == 302
    assert CannedResponse.objects.filter(pk=everyone.pk).exists()
    mine_of_other = CannedResponse.objects.create(title="Private", body="x", owner=supervisor)
    assert agent_browser.get(f"/console/canned/{mine_of_other.pk}/").status_code == 404


def test_the_list_page_costs_the_same_with_more_responses(agent_browser, agent):
    team = Team.objects.create(name="Billing")
    agent.agent_profile.teams.add(team)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert agent_browser.get("/console/canned/").status_code == 200
        return len(queries)

    CannedResponse.objects.create(title="one", body="x", team=team)
    before = count()
    for n in range(6):
        CannedResponse.objects.create(title=f"t{n}", body="x", team=team)
        CannedResponse.objects.create(title=f"p{n}", body="x", owner=agent)
        CannedResponse.objects.create(title=f"s{n}", body="x")
    assert count() == before


def test_the_api_lists_creates_updates_and_deletes_under_the_same_rules(agent, supervisor):
    team = Team.objects.create(name="Billing")
    agent.agent_profile.teams.add(team)
    api = api_for(agent)
    created = api.post(API, {"title": "Hi", "body": "Hello {{customer.name}}", "scope": "team", "team": team.pk})
    assert created.status_code == 201, created.content
    assert created.json()["scope"] == "team" and created.json()["team"] == team.pk
    pk = created.json()["id"]
    changed = api.patch(f"{API}{pk}/", {"scope": "personal"}, format="json")
    assert changed.status_code == 200 and changed.json()["owner"] == agent.pk and changed.json()["team"] is None
    assert api.post(API, {"title": "All", "body": "x", "scope": "shared"}).status_code == 403
    assert api.post(API, {"title": "", "body": "x", "scope": "personal"}).status_code == 400
    assert api.post(API, {"title": "x", "body": "x", "scope": "galaxy"}).status_code == 400
    shared = api_for(supervisor).post(API, {"title": "Everyone", "body": "x", "scope": "shared"})
    assert shared.status_code == 201
    listed = api.get(API, {"q": "every"}).json()
    assert [item["title"] for item in listed["results"]] == ["Everyone"]
    assert api.delete(f"{API}{shared.json()['id']}/").status_code == 403
    assert api.delete(f"{API}{pk}/").status_code == 204
    assert api_for(supervisor).get(f"{API}{pk}/").status_code == 404
    assert APIClient().get(API).status_code in (401, 403)
    customer = make_user("someone")
    assert api_for(customer).get(API).status_code == 403


def test_the_demo_seeds_thai_and_english_responses_once(roles):
    users = demo_users_ensure()["users"]
    assert demo_canned_seed(users=users) > 0
    assert demo_canned_seed(users=users) == 0
    titles = set(CannedResponse.objects.values_list("title", flat=True))
    assert {"Greeting (EN)", "ทักทาย (TH)", "ระยะเวลาคืนเงิน (TH)", "My signature"} <= titles
    assert CannedResponse.objects.filter(owner=users["agent"]).exists()
    assert CannedResponse.objects.filter(team__name="Billing").exists()
    assert make_user("x", roles=[Role.AGENT])
