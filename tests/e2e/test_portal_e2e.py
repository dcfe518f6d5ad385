"""End to end: a customer signs in to the help portal with the one-time link from
their email, sees their requests, writes a new one after the knowledge base suggested
an article, watches its status change live, and answers a satisfaction survey. And
the portal's live chat, when the customer behind it is erased.

One ASGI server process whose email goes to files (the file-based backend), so the
test reads the sign-in link as the customer would; Debian's chromium through
Playwright; the shared fixtures of tests/e2e/conftest.py."""

from __future__ import annotations

import email
import re
import time
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from kb.models import Category, DeflectionEvent
from kb.services import article_create
from tests.channels_app.chat.conftest import open_around_the_clock
from tests.e2e.servers import api_request
from tests.e2e.widget import chat_open, chat_send, chat_start
from tests.factories import deliver
from tickets.models import AgentProfile, Customer, Message, Ticket
from tickets.models.surveys import Survey
from tickets.services.privacy import ERASED_NAME, customer_erase
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.e2e

LINK = re.compile(r"(/portal/signin/link/[^/\s\"<>]+/)")


def wait_for(predicate, *, timeout: float = 10.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the condition")


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("portal-mail")


@pytest.fixture(scope="session")
def _portal_server(asgi_server_factory, mail_dir):
    return asgi_server_factory(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir)
    )


@pytest.fixture
def portal_server(transactional_db, _portal_server):
    if _portal_server.process.poll() is not None:
        pytest.fail(f"the ASGI server died:\n{_portal_server.log_tail()}")
    return _portal_server


def _sign_in_links(mail_dir: Path, to: str) -> list[str]:
    """Sign-in links mailed to `to`, oldest first. The file backend writes each
    message as it would go on the wire, separated by a line of dashes."""
    links = []
    for path in sorted(mail_dir.iterdir(), key=lambda p: p.stat().st_mtime):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk)
            if to not in (message["To"] or ""):
                continue
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    found = LINK.search(part.get_payload(decode=True).decode())
                    if found:
                        links.append(found.group(1))
    return links


def sign_in(page, mail_dir: Path, address: str) -> None:
    before = len(_sign_in_links(mail_dir, address)) if mail_dir.exists() else 0
    page.goto("/portal/signin/")
    page.get_by_label("Email address or mobile number").fill(address)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    links = wait_for(lambda: (found := _sign_in_links(mail_dir, address)) and len(found) > before and found)
    page.goto(links[-1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/tickets/")


def test_sign_in_write_a_request_after_suggestions_and_follow_it(portal_server, new_context, mail_dir, e2e_agent):
    deliver("email", "malee@example.com", "The parcel never came", subject="Where is my parcel?", sender_name="Malee")
    category = Category.objects.create(slug="delivery", name_en="Delivery", name_th="การจัดส่ง")
    article = article_create(
        title="How to track your parcel",
        body="Open the tracking page and enter the number on your receipt.",
        lang="en", category=category, author=e2e_agent, published=True,
    )  # fmt: skip

    context = new_context(server=portal_server, viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    sign_in(page, mail_dir, "malee@example.com")
    page.get_by_text("Where is my parcel?").wait_for()

    # The one-time link does not work twice.
    used = _sign_in_links(mail_dir, "malee@example.com")[-1]
    other = new_context(server=portal_server).new_page()
    other.goto(used)
    other.get_by_role("heading", name="This link no longer works").wait_for()

    # A new request: typing brings up the article; the customer reads it.
    page.get_by_role("link", name="New request").first.click()
    page.get_by_label("Subject").press_sequentially("track parcel", delay=30)
    suggestion = page.locator(".portal-suggestions a", has_text="How to track your parcel")
    suggestion.wait_for()
    assert "tracking page" in page.locator(".portal-suggestions").inner_text()
    with context.expect_page() as article_tab:
        suggestion.click()
    article_tab.value.close()
    wait_for(lambda: DeflectionEvent.objects.filter(article=article, outcome="viewed").exists())

    # ...and sends the request anyway.
    page.get_by_label("How can we help?").fill("The tracking page says unknown number.")
    page.get_by_role("button", name="Send request").click()
    page.get_by_text("Thank you. We received your request.").wait_for()
    message = Message.objects.get(text="The tracking page says unknown number.")
    assert message.event is not None and message.metadata == {"source": "portal"}
    assert DeflectionEvent.objects.get(article=article).outcome == "submitted"
    assert page.url.endswith(f"/portal/tickets/{message.ticket_id}/")

    # What an agent does shows without a reload, pushed through /ws/portal/: the
    # status in the list, then the answer in the open ticket, while the customer's
    # half-written reply stays in its box.
    token = Token.objects.create(user=e2e_agent).key
    ticket_url = f"{portal_server.url}/api/v1/tickets/{message.ticket_id}/"
    page.get_by_role("link", name="My requests").first.click()
    row = page.locator(f'[data-ticket="{message.ticket_id}"] [data-status]')
    assert row.inner_text() == "New"
    page.locator("body[data-live=connected]").wait_for()
    api_request(ticket_url, {"status": "pending"}, token=token, method="PATCH")
    row.filter(has_text="Pending").wait_for(timeout=5_000)

    page.locator(f'[data-ticket="{message.ticket_id}"] a').click()
    page.get_by_label("Your reply").fill("Half-written")
    page.locator("body[data-live=connected]").wait_for()
    api_request(ticket_url + "messages/", {"text": "Your parcel left the depot today."}, token=token)
    page.locator("[data-live-conversation]", has_text="Your parcel left the depot today.").wait_for(timeout=5_000)
    assert page.get_by_label("Your reply").input_value() == "Half-written"

    # An answer given while the page's socket was down shows once it reconnects.
    held = []
    page.route_web_socket(
        "**/ws/portal/", lambda socket: held.append(socket) if not held else socket.connect_to_server()
    )
    page.reload()
    page.locator("body[data-live=connected]").wait_for()  # the held socket, which hears nothing
    api_request(ticket_url + "messages/", {"text": "It is out for delivery."}, token=token)
    page.wait_for_timeout(500)
    assert "out for delivery" not in page.locator("[data-live-conversation]").inner_text()
    held[0].close(code=4000, reason="network lost")
    page.locator("[data-live-conversation]", has_text="It is out for delivery.").wait_for(timeout=10_000)


def test_answer_a_survey_and_switch_to_thai(portal_server, new_context, mail_dir, e2e_agent):
    result = deliver("email", "anan@example.com", "Refund please", subject="Refund for order 77", sender_name="Anan")
    ticket = result.message.ticket
    ticket_set_status(ticket=ticket, status="resolved", actor=e2e_agent)
    Survey.objects.filter(ticket=ticket).delete()  # whatever the resolution sent, one known survey
    survey = Survey.objects.create(
        ticket=ticket,
        customer=ticket.customer,
        resolution_number=1,
        kind="csat",
        channel="email",
        scale_min=1,
        scale_max=5,
    )

    page = new_context(server=portal_server).new_page()
    sign_in(page, mail_dir, "anan@example.com")
    page.get_by_role("link", name="Customer satisfaction (CSAT)").click()
    page.get_by_role("heading", name="How satisfied are you with the help you got?").wait_for()
    page.locator(".portal-scale-option", has_text="4").click()
    page.get_by_label("Anything you want to add? (optional)").fill("Fast and friendly")
    page.get_by_role("button", name="Send my answer").click()
    page.get_by_text("Thank you for your answer.").wait_for()
    survey.refresh_from_db()
    assert (survey.status, survey.score, survey.comment) == ("answered", 4, "Fast and friendly")

    # The language switcher posts to /i18n/setlang/ and the portal answers in Thai.
    page.locator("#portal-language").select_option("th")
    page.wait_for_function("document.documentElement.lang === 'th'")


def test_after_erasure_the_portal_chat_starts_afresh_and_says_why(portal_server, new_context, e2e_agent):
    open_around_the_clock()
    AgentProfile.objects.filter(user=e2e_agent).update(presence="online")
    page = new_context(server=portal_server).new_page()
    page.goto("/portal/signin/")
    chat = chat_start(page, name="Somchai", email="somchai@example.com", text="My parcel 4711 has not arrived")

    erased = Ticket.objects.get(channel="chat").customer
    customer_erase(customer=erased, actor=None)

    # The browser still holds the old token. Back on the portal, the widget gets a clean
    # pre-chat form with the reason, and does not keep trying to reconnect.
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.reload()
    chat = chat_open(page)
    chat.locator("#prechat").wait_for(state="visible")
    chat.locator("#chat-status", has_text="your details were erased").wait_for()
    assert chat.locator("#chat-log li").count() == 0
    page.wait_for_timeout(2_000)
    assert len(sockets) == 1
    assert "erased" in chat.locator("#chat-status").inner_text()

    # A new chat is a new customer; the erased one stays erased.
    chat.locator("#prechat-form input[name=name]").fill("Somchai")
    chat.locator("#prechat-form button[type=submit]").click()
    chat_send(chat, "Hello again")
    again = Message.objects.select_related("customer").get(text="Hello again")
    assert again.customer_id != erased.pk and again.customer.name == "Somchai"
    assert Customer.objects.get(pk=erased.pk).name == ERASED_NAME
