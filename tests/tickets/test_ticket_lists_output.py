"""The two ticket lists, the console inbox and GET /api/v1/tickets/, pinned byte for
byte in English and Thai, on tickets in every situation a row tells apart: tags or
none, an assignee or none, each SLA state, every channel and priority, Thai and
English text, and subjects and names that try to break out of the HTML.

The expected pages are in tests/tickets/pinned/. The clock is fixed, so "3 hours
ago" and "in 2 hours" stay what they are."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags import humanize
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tickets.console import inbox_rows
from tickets.models import AgentProfile, Customer, Role, SavedView, Tag, Team, Ticket, TicketSLA

pytestmark = pytest.mark.django_db

PINNED = Path(__file__).parent / "pinned"
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
# Ids far beyond what the sequences reach in a test run, so the pages never depend on them.
FIRST_ID = 990_000


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW.astimezone(tz) if tz else NOW.replace(tzinfo=None)


@pytest.fixture
def frozen_clock(monkeypatch):
    monkeypatch.setattr(humanize, "datetime", _FrozenDatetime)
    # The inbox rows read the clock once a page for their relative times.
    monkeypatch.setattr(inbox_rows, "datetime", _FrozenDatetime)


@pytest.fixture
def viewer(roles):
    user = get_user_model().objects.create_user(
        id=FIRST_ID, username="viewer", password="pw-viewer", first_name="Anong", last_name="Srisuk"
    )
    user.groups.add(roles[Role.AGENT])
    AgentProfile.objects.create(user=user)
    return user


@pytest.fixture
def varied_tickets(viewer):
    users = get_user_model().objects
    somsri = users.create_user(id=FIRST_ID + 1, username="somsri", first_name="สมศรี", last_name="ดีใจ")
    plain = users.create_user(id=FIRST_ID + 2, username="o'neil<b>")
    team = Team.objects.create(id=FIRST_ID, name="Billing & <Refunds>")
    customers = [
        Customer.objects.create(id=FIRST_ID + 1, name="สมชาย ใจดี"),
        Customer.objects.create(id=FIRST_ID + 2, name='<script>alert("x")</script>', tier=Customer.Tier.VIP),
        Customer.objects.create(id=FIRST_ID + 3, name=""),
        Customer.objects.create(id=FIRST_ID + 4, name='O\'Brien & "Sons"', tier=Customer.Tier.PREMIUM),
    ]
    tags = [Tag.objects.create(id=FIRST_ID + n, name=name) for n, name in enumerate(["billing", "ด่วน", "vip-care"])]
    rows = [
        # subject, channel, status, priority, customer, assignee, tags, age, SLA
        (
            "Refund <script>alert('x')</script>",
            "email",
            "open",
            4,
            1,
            viewer,
            [0, 1],
            timedelta(seconds=20),
            "breached",
        ),
        ('He said "hi" & left', "chat", "new", 3, 0, viewer, [], timedelta(minutes=5), "first_reply_due"),
        ("สอบถามค่าบริการรายเดือน", "line", "pending", 2, 2, somsri, [1], timedelta(hours=3), "resolution_due"),
        ("", "whatsapp", "open", 1, 3, None, [2], timedelta(days=2), None),
        (
            "Order #A10423 {{ not_a_variable }} {% now 'Y' %}",
            "sms",
            "new",
            2,
            0,
            plain,
            [0, 1, 2],
            timedelta(days=40),
            "none_due",
        ),
        ("Messenger hello", "messenger", "open", 2, 3, viewer, [], timedelta(days=400), "first_reply_due"),
        ("Instagram DM", "instagram", "resolved", 3, 1, viewer, [0], timedelta(hours=1), "breached"),
    ]
    tickets = []
    for n, (subject, channel, status, priority, customer, assignee, tag_ids, age, sla) in enumerate(rows, start=1):
        ticket = Ticket.objects.create(
            id=FIRST_ID + n, subject=subject, channel=channel, status=status, priority=priority,
            customer=customers[customer], assignee=assignee, team=team if n % 2 else None,
            created_at=NOW - age - timedelta(minutes=30), updated_at=NOW - age,
            first_inbound_at=NOW - age - timedelta(minutes=30),
            first_response_at=NOW - age if sla == "resolution_due" else None,
            first_response_s=1800 if sla == "resolution_due" else None,
            resolved_at=NOW - age if status == "resolved" else None,
            resolution_s=600 if status == "resolved" else None,
        )  # fmt: skip
        ticket.tags.set([tags[t] for t in tag_ids])
        if sla == "breached":
            TicketSLA.objects.create(ticket=ticket, first_response_breached_at=NOW - timedelta(minutes=1))
        elif sla == "first_reply_due":
            TicketSLA.objects.create(ticket=ticket, first_response_due_at=NOW + timedelta(hours=2))
        elif sla == "resolution_due":
            TicketSLA.objects.create(ticket=ticket, resolution_due_at=NOW + timedelta(days=3))
        elif sla == "none_due":
            TicketSLA.objects.create(ticket=ticket)
        tickets.append(ticket)
    SavedView.objects.create(id=FIRST_ID + 1, user=viewer, name="Email <urgent>", query="view=all&channel=email")
    SavedView.objects.create(id=FIRST_ID + 2, user=viewer, name="ด่วน", query="view=all&tag=ด่วน")
    return tickets


def _stable(content: bytes) -> str:
    """The page without what differs on every request (CSRF tokens)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="…"', content.decode())


def _assert_pinned(text: str, name: str) -> None:
    assert text == (PINNED / name).read_text(encoding="utf-8")


def _rows(page: str) -> str:
    return re.search(r'<ul class="cn-rows".*?</ul>', page, re.DOTALL).group(0)


def _views(page: str) -> str:
    return re.search(r'<nav class="cn-views".*?</nav>', page, re.DOTALL).group(0)


@pytest.fixture(params=["en", "th"])
def browser(request, viewer, varied_tickets, frozen_clock) -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE=request.param)
    browser.force_login(viewer)
    browser.language = request.param
    return browser


def _get(browser: Client, url: str) -> str:
    response = browser.get(url)
    assert response.status_code == 200
    return _stable(response.content)


def test_the_default_inbox_page_is_what_it_was(browser):
    page = _get(browser, "/console/")
    # The rows of every kind are pinned in the next test; here, everything around them.
    _assert_pinned(page.replace(_rows(page), "<!-- rows -->"), f"inbox_mine.{browser.language}.html")
    assert re.findall(r'data-ticket-id="(\d+)"', _rows(page)) == [str(FIRST_ID + n) for n in (1, 2, 6)]


def test_the_rows_of_every_kind_are_what_they_were(browser):
    page = _get(browser, "/console/?view=all&status=new&status=open&status=pending&status=resolved")
    _assert_pinned(_rows(page), f"inbox_rows.{browser.language}.html")


def test_the_live_inbox_and_the_single_row_match_the_page(browser):
    page = _get(browser, "/console/?view=all")
    live = _get(browser, "/console/?view=all&partial=1")
    assert _rows(live) == _rows(page)
    assert _views(live) == _views(page)
    # The partial a page fetches to refresh one ticket is the row as the list shows it.
    single = _get(browser, f"/console/tickets/{FIRST_ID + 2}/row/")
    others = rf'<li class="cn-row[^>]*data-ticket-id="(?!{FIRST_ID + 2}")\d+".*?</li>'
    assert _rows(single) == re.sub(others, "", _rows(page), flags=re.DOTALL)


@pytest.mark.parametrize("language", ["en", "th"])
def test_the_api_ticket_list_is_what_it_was(viewer, varied_tickets, language):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=viewer).key}")
    response = client.get("/api/v1/tickets/")
    assert response.status_code == 200
    _assert_pinned(response.content.decode(), f"ticket_list.{language}.json")
    # Two to a page, so that the cursors and the next and previous links are pinned too.
    first = client.get("/api/v1/tickets/", {"page_size": 2})
    second = client.get(first.json()["next"])
    assert second.status_code == 200
    assert [t["id"] for t in first.json()["results"] + second.json()["results"]] == [
        t["id"] for t in response.json()["results"][:4]
    ]
    page_2 = "http://testserver/api/v1/tickets/?cursor=cD0yMDI2LTAzLTEwKzA5JTNBNTUlM0EwMCUyQjAwJTNBMDA%3D&page_size=2"
    assert first.json()["next"] == page_2
    assert second.json()["previous"] == (
        "http://testserver/api/v1/tickets/?cursor=cj0xJnA9MjAyNi0wMy0xMCswOSUzQTAwJTNBMDAlMkIwMCUzQTAw&page_size=2"
    )
    assert second.json()["next"] == (
        "http://testserver/api/v1/tickets/?cursor=cD0yMDI2LTAzLTEwKzA3JTNBMDAlM0EwMCUyQjAwJTNBMDA%3D&page_size=2"
    )


def test_every_value_stays_escaped(viewer, varied_tickets, frozen_clock):
    browser = Client()
    browser.force_login(viewer)
    page = _get(browser, "/console/?view=all&status=new&status=open&status=pending&status=resolved")
    assert "<script>alert" not in page
    assert "Refund &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "He said &quot;hi&quot; &amp; left" in page
    assert "o&#x27;neil&lt;b&gt;" in page
    assert "{{ not_a_variable }} {% now &#x27;Y&#x27; %}" in page
