"""Sorting the inbox and saving views of it."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import deliver, make_user
from tickets.models import Role, SavedView, Ticket

pytestmark = pytest.mark.django_db


def rows(client, **params) -> list[int]:
    response = client.get("/console/", {"view": "all", **params})
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-testid="ticket-row" data-ticket-id="(\d+)"', response.content.decode())]


def test_the_inbox_sorts_by_activity_age_and_priority(agent_browser):
    first = deliver("sms", "+66810000001", "first").ticket
    second = deliver("sms", "+66810000002", "second").ticket
    third = deliver("sms", "+66810000003", "third").ticket
    Ticket.objects.filter(pk=first.pk).update(priority=Ticket.Priority.URGENT)
    deliver("sms", "+66810000001", "first again")  # first now has the latest activity
    assert rows(agent_browser)[0] == first.pk
    assert rows(agent_browser, sort="newest") == [third.pk, second.pk, first.pk]
    assert rows(agent_browser, sort="oldest") == [first.pk, second.pk, third.pk]
    assert rows(agent_browser, sort="priority")[0] == first.pk
    assert len(rows(agent_browser, sort="due")) == 3
    assert agent_browser.get("/console/", {"sort": "sideways"}).status_code == 400


def test_an_agent_saves_a_view_and_finds_it_again(agent_browser, agent, roles):
    sms = deliver("sms", "+66810000001", "parcel late").ticket
    deliver("email", "malee@example.com", "parcel", subject="Parcel")
    response = agent_browser.post(
        "/console/views/", {"name": "SMS parcels", "query": "view=all&channel=sms&q=parcel&sort=oldest&evil=1"}
    )
    saved = SavedView.objects.get(user=agent)
    assert saved.query == "view=all&channel=sms&q=parcel&sort=oldest"
    assert response.status_code == 302 and response["Location"] == "/console/?" + saved.query
    page = agent_browser.get("/console/?view=all").content.decode()
    assert 'data-testid="saved-view"' in page and "SMS parcels" in page
    assert rows(agent_browser, channel="sms", q="parcel", sort="oldest") == [sms.pk]
    # Saving under the same name replaces it; another agent never sees it.
    agent_browser.post("/console/views/", {"name": "SMS parcels", "query": "view=mine"})
    assert SavedView.objects.get(user=agent).query == "view=mine"
    other = make_user("ploy", roles=[Role.AGENT])
    agent_browser.post(f"/console/views/{saved.pk}/delete/")
    assert not SavedView.objects.filter(user=agent).exists()
    theirs = SavedView.objects.create(user=other, name="Mine", query="view=mine")
    agent_browser.post(f"/console/views/{theirs.pk}/delete/")
    assert SavedView.objects.filter(pk=theirs.pk).exists()
    assert agent_browser.post("/console/views/", {"name": "  ", "query": "view=all"}).status_code == 302
    assert SavedView.objects.filter(user=agent).count() == 0


def test_the_inbox_costs_the_same_with_more_saved_views(agent_browser, agent):
    deliver("sms", "+66810000001", "one")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            agent_browser.get("/console/", {"view": "all", "sort": "priority"})
        return len(queries)

    count()  # the first page fills the cached staff and teams
    before = count()
    for n in range(5):
        SavedView.objects.create(user=agent, name=f"v{n}", query="view=all")
    assert count() == before
