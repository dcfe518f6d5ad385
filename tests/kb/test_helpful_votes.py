"""A helpful vote shows at once: the answer carries the new counts, and the article
page shows them to readers and, in the health box, to agents."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db
URL = "/help/articles/cod-en/"


def _vote(helpful: str, ip: str) -> dict:
    cache.delete(f"kb:votes-hour:{ip}")
    response = Client(REMOTE_ADDR=ip).post(URL + "feedback/", {"helpful": helpful}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def test_the_answer_carries_the_new_counts(kb):
    assert _vote("yes", "198.51.100.21")["votes"] == "1 of 1 person found this helpful."
    _vote("yes", "198.51.100.22")
    last = _vote("no", "198.51.100.23")

    assert (last["helpful_yes"], last["helpful_no"]) == (2, 1)
    assert last["votes"] == "2 of 3 people found this helpful."


def test_the_page_shows_the_counts_to_readers_and_agents(kb, agent):
    assert 'data-testid="helpful-votes"></p>' in Client().get(URL).content.decode()  # nothing before a vote
    _vote("yes", "198.51.100.31")
    _vote("no", "198.51.100.32")

    assert "1 of 2 people found this helpful." in Client(HTTP_ACCEPT_LANGUAGE="en").get(URL).content.decode()
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(agent)
    assert "<dd data-kb-health-helpful>1 / 2 (50%)</dd>" in staff.get(URL).content.decode()


def test_the_buttons_use_svg_icons_not_emoji(kb):
    page = Client().get(URL).content.decode()
    assert "icons.svg#thumb-up" in page and "👍" not in page
