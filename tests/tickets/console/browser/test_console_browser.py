"""The console in Debian's chromium against a real ASGI server process: two agents on
one ticket see each other, a mention rings the bell, a new email shows up without a
reload, and the inbox answers to the keyboard. Marked e2e, like the other browser tests."""

from __future__ import annotations

import urllib.request

import pytest
from django.conf import settings

from tests.e2e.servers import session_cookie_for
from tests.factories import deliver, make_user
from tickets.models import Notification, Role

pytestmark = pytest.mark.e2e


def post_email(server_url: str, raw: str) -> None:
    request = urllib.request.Request(
        f"{server_url}/webhooks/email/inbound/",
        data=raw.encode(),
        headers={"X-Helpdesk-Token": settings.HELPDESK_INBOUND_TOKEN, "Content-Type": "message/rfc822"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_two_agents_on_one_ticket_live(asgi_server, agent_context, new_context, e2e_agent):
    ticket = deliver("email", "malee@example.com", "My invoice is wrong", subject="Invoice", sender_name="Malee").ticket
    ploy = make_user("ploy", roles=[Role.AGENT], first_name="Ploy")
    ploy_context = new_context()
    ploy_context.add_cookies([session_cookie_for(ploy, url=asgi_server.url)])

    nok_page = agent_context.new_page()
    nok_page.goto(f"/console/tickets/{ticket.pk}/")
    ploy_page = ploy_context.new_page()
    ploy_page.goto(f"/console/tickets/{ticket.pk}/")

    # Each sees the other on the ticket; typing shows as typing.
    nok_page.locator("[data-testid=collision]", has_text="Ploy is viewing").wait_for()
    ploy_page.locator("[data-testid=collision]", has_text="Nok Sukjai is viewing").wait_for()
    ploy_page.locator("[data-testid=reply-text]").press_sequentially("Let me check")
    nok_page.locator("[data-testid=collision] [data-state=typing]", has_text="Ploy is typing").wait_for()

    # Ploy writes a note mentioning Nok: Nok's bell rings without a reload.
    ploy_page.locator("[data-testid=reply-kind-note]").check()
    ploy_page.locator("[data-testid=reply-text]").fill("@nok this one is for you")
    ploy_page.locator("[data-testid=reply-send]").click()
    nok_page.locator("[data-testid=notification-count]", has_text="1").wait_for()
    assert Notification.objects.get(user=e2e_agent).kind == "mention"
    nok_page.locator("[data-testid=timeline] [data-testid=message][data-direction=note]").wait_for()

    # The customer answers by email: the message joins Nok's open timeline.
    post_email(
        asgi_server.url,
        "From: Malee <malee@example.com>\r\nTo: support@example.com\r\n"
        f"Subject: Re: Invoice [HD-{ticket.pk}]\r\nMessage-ID: <follow-up-1@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHere is the invoice number: 7781\r\n",
    )
    nok_page.locator("[data-testid=timeline] [data-testid=message]", has_text="invoice number: 7781").wait_for()
    assert nok_page.locator("[data-testid=timeline] [data-testid=message]").count() >= 3


def test_the_inbox_answers_to_the_keyboard(asgi_server, agent_context):
    first = deliver("sms", "+66810000001", "first").ticket
    second = deliver("sms", "+66810000002", "second").ticket
    page = agent_context.new_page()
    page.goto("/console/?view=all")
    rows = page.locator("[data-testid=ticket-row]")
    assert rows.count() == 2
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert "cn-selected" in (rows.nth(1).get_attribute("class") or "")
    assert rows.nth(1).get_attribute("data-ticket-id") == str(first.pk)  # newest first
    page.keyboard.press("k")
    assert "cn-selected" in (rows.nth(0).get_attribute("class") or "")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/tickets/{second.pk}/")
    page.keyboard.press("n")
    assert page.locator("[data-testid=reply-kind-note]").is_checked()
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    page.wait_for_load_state()
    page.locator("#id_assignee option[selected]", has_text="nok").wait_for(state="attached")
    page.keyboard.press("?")
    page.locator("#cn-help").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.goto("/console/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "cn-search"
