"""The ticket page in Debian's chromium: a long history opens on its latest messages,
and scrolling up brings the older ones, page by page, without moving what the agent
was reading."""

from __future__ import annotations

import pytest

from tests.factories import deliver
from tickets.models import Message

pytestmark = pytest.mark.e2e


def test_scrolling_up_loads_older_messages_of_a_long_history(asgi_server, agent_context):
    ticket = deliver("sms", "+66812340000", "message 0").ticket
    for n in range(1, 75):
        deliver("sms", "+66812340000", f"message {n}")
    oldest = Message.objects.filter(customer=ticket.customer).order_by("created_at", "id").first()
    page = agent_context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/console/tickets/{ticket.pk}/")
    messages = page.locator("#cn-timeline [data-testid=message]")
    assert messages.count() == 30
    assert "message 74" in messages.last.inner_text()
    assert page.locator(f"#message-{oldest.pk}").count() == 0

    total = Message.objects.filter(customer=ticket.customer).count()
    reading = messages.first
    reading_id = reading.get_attribute("id")
    shown = 30
    while shown < total:
        page.locator("#cn-timeline").evaluate("box => { box.scrollTop = 0; }")
        page.wait_for_function(f"document.querySelectorAll('#cn-timeline [data-testid=message]').length > {shown}")
        shown = messages.count()
        # What the agent was reading did not jump: the older messages went above it.
        assert page.locator("#cn-timeline").evaluate("box => box.scrollTop") > 0
    assert page.locator(f"#{reading_id}").is_visible() or shown == total
    assert page.locator(f"#message-{oldest.pk}").count() == 1
    assert page.locator("[data-testid=older-messages]").count() == 0
    ids = page.locator("#cn-timeline [data-testid=message]").evaluate_all("els => els.map(e => Number(e.dataset.messageId))")
    assert ids == list(Message.objects.filter(customer=ticket.customer).order_by("created_at", "id").values_list("pk", flat=True))

