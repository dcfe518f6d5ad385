"""What the live inbox fetches when something changes: the view's rows and the
views' counts, in the view's order and filters, for a constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import deliver

pytestmark = pytest.mark.django_db


def test_the_partial_has_the_rows_newest_first_and_the_counts(agent_browser):
    older = deliver("sms", "+66810000001", "older").ticket
    newer = deliver("email", "malee@example.com", "newer", subject="New").ticket
    response = agent_browser.get("/console/", {"view": "all", "partial": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert re.findall(r'data-ticket-id="(\d+)"', page) == [str(newer.pk), str(older.pk)]
    assert 'id="cn-views"' in page and 'data-testid="view-all"' in page
    # The search and the filters hold for the partial too.
    filtered = agent_browser.get("/console/", {"view": "all", "partial": "1", "channel": "sms"}).content.decode()
    assert re.findall(r'data-ticket-id="(\d+)"', filtered) == [str(older.pk)]
    # The old page-level links (pagination) keep no trace of the partial.
    assert "partial" not in agent_browser.get("/console/", {"view": "all"}).context["query_string"]


def test_the_partial_costs_the_same_with_more_tickets(agent_browser):
    deliver("sms", "+66810000001", "one")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            agent_browser.get("/console/", {"view": "all", "partial": "1"})
        return len(queries)

    before = count()
    for n in range(2, 9):
        deliver("sms", f"+6681000000{n}", "more")
    assert count() == before


def test_the_menu_offers_languages_and_notification_choices(agent_browser):
    page = agent_browser.get("/console/").content.decode()
    assert 'data-testid="language-th"' in page and 'data-testid="language-en"' in page
    assert 'data-pref="sound"' in page and 'data-pref="desktop"' in page
    switched = agent_browser.post("/i18n/setlang/", {"language": "th", "next": "/console/"})
    assert switched.status_code == 302
    assert "กล่องข้อความ" in agent_browser.get("/console/").content.decode()
