"""End to end, as a newcomer meets it on `make run`: no mail server is configured,
so the customer's passwordless sign-in mail is delivered to the dev outbox; an
agent opens it in the console, and the customer signs in to the portal by following
its link, which points at the port the server runs on. In Thai and in English."""

from __future__ import annotations

import pytest

from tests.e2e.servers import session_cookie_for
from tests.factories import deliver

pytestmark = pytest.mark.e2e

TEXTS = {
    "en": {"address": "Email address or mobile number", "continue": "Continue", "check": "Check your email",
           "sign_in": "Sign in", "outbox": "Dev outbox"},
    "th": {"address": "อีเมลหรือเบอร์โทรศัพท์มือถือ", "continue": "ดำเนินการต่อ", "check": "ตรวจสอบอีเมลของคุณ",
           "sign_in": "เข้าสู่ระบบ", "outbox": "กล่องส่งออกสำหรับพัฒนา"},
}  # fmt: skip


@pytest.fixture(scope="session")
def _outbox_server(asgi_server_factory):
    # The embedded defaults of a fresh clone: no EMAIL_HOST, no Twilio account.
    return asgi_server_factory(EMAIL_BACKEND="channels_app.outbox.mail.EmailBackend")


@pytest.fixture
def outbox_server(transactional_db, _outbox_server):
    if _outbox_server.process.poll() is not None:
        pytest.fail(f"the ASGI server died:\n{_outbox_server.log_tail()}")
    return _outbox_server


@pytest.mark.parametrize("language", ["en", "th"])
def test_the_portal_sign_in_link_is_followed_from_the_dev_outbox(outbox_server, new_context, e2e_agent, language):
    texts = TEXTS[language]
    address = f"somchai.{language}@example.com"
    deliver("email", address, "Where is my parcel?", subject="Parcel", sender_name="Somchai")
    locale = "th-TH" if language == "th" else "en-US"

    # The agent has the outbox open already: the mail shows up there without a reload.
    agent_context = new_context(server=outbox_server, locale=locale)
    agent_context.add_cookies([session_cookie_for(e2e_agent, url=outbox_server.url)])
    agent = agent_context.new_page()
    agent.goto("/console/")
    agent.get_by_test_id("outbox-link").click()
    agent.get_by_role("heading", name=texts["outbox"]).wait_for()

    customer = new_context(server=outbox_server, locale=locale, viewport={"width": 390, "height": 844}).new_page()
    customer.goto("/portal/signin/")
    customer.get_by_label(texts["address"]).fill(address)
    customer.get_by_role("button", name=texts["continue"]).click()
    customer.get_by_role("heading", name=texts["check"]).wait_for()
    customer.get_by_test_id("dev-outbox-hint").wait_for()  # the portal says where the mail went

    mail = agent.get_by_test_id("outbox-message").filter(has_text=address).first
    mail.wait_for()
    link = mail.locator("a[href*='/portal/signin/link/']").first
    href = link.get_attribute("href")
    assert href.startswith(outbox_server.url + "/portal/signin/link/")  # this server's port, not :8000

    customer.goto(href)
    customer.get_by_role("button", name=texts["sign_in"]).click()
    customer.wait_for_url("**/portal/tickets/")
    customer.get_by_text("Parcel").first.wait_for()
