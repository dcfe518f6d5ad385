"""End to end: a customer chats from the widget embedded on another site; an agent
in the console sees it live and replies; the customer sees the reply within a second.

Two browser contexts in Debian's chromium, one ASGI server process, the test database."""

from __future__ import annotations

import os
import time

import pytest

from tests.channels_app.chat.conftest import open_around_the_clock
from tests.e2e.widget import chat_open, chat_start
from tickets.models import AgentProfile, Message, Ticket

pytestmark = pytest.mark.e2e

def wait_for(predicate, *, timeout: float = 10.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the condition")


def test_customer_and_agent_chat_live(asgi_server, third_party_site, new_context, agent_context, e2e_agent):
    open_around_the_clock()

    # The agent opens the console; its websocket makes the agent online.
    agent = agent_context.new_page()
    agent.goto("/console/")
    wait_for(lambda: AgentProfile.objects.filter(user=e2e_agent, presence="online").exists())

    # The customer, on a shop's site, opens the widget, fills the pre-chat form and writes.
    customer_context = new_context(viewport={"width": 1280, "height": 800})
    customer = customer_context.new_page()
    customer.goto(third_party_site)
    chat = chat_start(customer, name="Somchai", email="somchai@example.com", text="My parcel has not arrived")

    ticket = wait_for(lambda: Ticket.objects.filter(channel="chat", customer__name="Somchai").first())
    assert Message.objects.get(ticket=ticket).text == "My parcel has not arrived"

    # The new chat appears in the agent's inbox without a reload or a click; the agent opens it.
    agent.locator(f"[data-testid=ticket-row][data-ticket-id='{ticket.pk}'] a.cn-row-link").click()
    agent.wait_for_url(f"**/console/tickets/{ticket.pk}/")
    agent.locator("[data-testid=timeline]").get_by_text("My parcel has not arrived").wait_for()

    # The customer writes again; it shows in the open ticket live.
    chat.locator("#chat-input").fill("Order number 1234")
    chat.locator("#chat-input").press("Enter")
    agent.locator("[data-testid=timeline]").get_by_text("Order number 1234").wait_for()
    # The agent has the ticket open: the customer's messages show as read.
    chat.locator(".chat-mine[data-state=read]").first.wait_for()

    # The agent types (the customer sees it) and replies.
    agent.locator("[data-testid=reply-text]").fill("It is with the courier and arrives tomorrow.")
    chat.locator("#chat-typing").wait_for(state="visible")
    started = time.monotonic()
    agent.locator("[data-testid=reply-send]").click()
    chat.locator(".chat-theirs .chat-bubble", has_text="arrives tomorrow").wait_for(timeout=5_000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"the reply took {elapsed:.2f} s to reach the customer (load average {os.getloadavg()})"
    assert "Nok" in chat.locator(".chat-theirs .chat-meta").first.inner_text()

    # The customer's widget reports it read; the agent's reply is marked so.
    reply = wait_for(lambda: Message.objects.filter(ticket=ticket, direction="out").first())
    wait_for(lambda: Message.objects.filter(pk=reply.pk, delivery_status="read").exists())

    # A reload of the shop's page resumes the conversation.
    customer.reload()
    chat = chat_open(customer)
    chat.locator(".chat-theirs .chat-bubble", has_text="arrives tomorrow").wait_for()
    texts = chat.locator(".chat-bubble").all_inner_texts()
    assert texts == ["My parcel has not arrived", "Order number 1234", "It is with the courier and arrives tomorrow."]


def test_on_a_phone_the_widget_fills_the_screen_and_offers_the_offline_form(third_party_site, new_context):
    # Nobody is online: the chat takes a message as a ticket.
    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(third_party_site)
    chat = chat_open(page)
    box = page.locator("iframe.hd-chat-frame").bounding_box()
    assert (box["width"], box["height"]) == (390, 844)
    form = chat.locator("#offline-form")
    form.locator("input[name=name]").fill("Ploy")
    form.locator("textarea[name=message]").fill("Please call me about my refund")
    form.locator("button[type=submit]").click()
    assert "email address or a phone number" in form.locator(".chat-form-error").inner_text()
    form.locator("input[name=phone]").fill("081 234 5678")
    form.locator("button[type=submit]").click()
    chat.locator("#offline-thanks").wait_for()
    message = wait_for(lambda: Message.objects.filter(channel="chat", direction="in").first())
    assert message.text == "Please call me about my refund"
    assert message.metadata["reply_channel"] == "sms"
