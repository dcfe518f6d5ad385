"""What a customer does in the chat widget, shared by the browser tests."""

from __future__ import annotations


def chat_open(page):
    """Opens the widget on the page; returns the widget's frame."""
    page.locator(".hd-chat-launcher").click()
    return page.frame_locator("iframe.hd-chat-frame")


def chat_start(page, *, name: str, text: str, email: str = ""):
    """Opens the widget, fills the pre-chat form and writes a first message, which
    the server has acknowledged on return. Returns the widget's frame."""
    chat = chat_open(page)
    chat.locator("#prechat-form input[name=name]").fill(name)
    if email:
        chat.locator("#prechat-form input[name=email]").fill(email)
    chat.locator("#prechat-form button[type=submit]").click()
    chat_send(chat, text)
    return chat


def chat_send(chat, text: str) -> None:
    chat.locator("#chat-input").fill(text)
    chat.locator("#chat-input").press("Enter")
    chat.locator(".chat-mine[data-state=sent]", has_text=text).wait_for()


def agent_answers_and_resolves(agent_page, chat, *, ticket_id: int, text: str, seen: str) -> None:
    """In the console: the agent replies (the customer's widget shows `seen`) and resolves."""
    agent_page.goto(f"/console/tickets/{ticket_id}/")
    agent_page.locator("[data-testid=reply-text]").fill(text)
    agent_page.locator("[data-testid=reply-send]").click()
    chat.locator(".chat-theirs .chat-bubble", has_text=seen).wait_for()
    agent_page.locator("[data-testid=ticket-update] select[name=status]").select_option("resolved")
    agent_page.locator("[data-testid=ticket-update] button[type=submit]").click()
