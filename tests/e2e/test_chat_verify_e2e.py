"""A chat visitor who typed a known customer's email proves it in the widget with
the code mailed to that address; until then the conversation is theirs alone."""

from __future__ import annotations

import email
import re
import time
from pathlib import Path

import pytest

from tests.channels_app.chat.conftest import open_around_the_clock
from tests.factories import deliver
from tickets.models import AgentProfile, IdentityClaim, Message

pytestmark = pytest.mark.e2e


def wait_for(predicate, timeout: float = 20, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the condition")


@pytest.fixture(scope="module")
def _verify_server(asgi_server_factory, tmp_path_factory):
    mail_dir = tmp_path_factory.mktemp("chat-verify-mail")
    server = asgi_server_factory(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir)
    )
    return server, mail_dir


def _codes(mail_dir: Path, to: str) -> list[str]:
    codes = []
    for path in sorted(mail_dir.iterdir(), key=lambda p: p.stat().st_mtime):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            message = email.message_from_bytes(chunk) if chunk.strip() else None
            if message is not None and to in (message["To"] or ""):
                found = re.search(r"\b(\d{6})\b", message.get_payload(decode=True).decode())
                if found:
                    codes.append(found.group(1))
    return codes


def test_the_visitor_confirms_the_email_with_the_code_in_the_widget(transactional_db, _verify_server, new_context, e2e_agent):
    server, mail_dir = _verify_server
    open_around_the_clock()
    AgentProfile.objects.filter(user=e2e_agent).update(presence="online")
    owner = deliver("email", "somchai@example.com", "My order #A10423", sender_name="Somchai Jaidee").message.customer

    page = new_context(server=server, locale="th-TH", viewport={"width": 390, "height": 740}).new_page()
    page.goto("/chat/widget/?lang=th")
    page.locator("#prechat-form input[name=name]").fill("Somchai")
    page.locator("#prechat-form input[name=email]").fill("somchai@example.com")
    page.locator("#prechat-form button[type=submit]").click()
    page.locator("#chat-input").fill("ขอเช็กคำสั่งซื้อครับ")
    page.locator("#chat-input").press("Enter")
    page.locator(".chat-mine[data-state=sent]").first.wait_for()
    message = wait_for(lambda: Message.objects.filter(text="ขอเช็กคำสั่งซื้อครับ").first())
    assert message.customer_id != owner.pk

    page.locator("#chat-verify").click()
    page.locator("#verify-form").wait_for(state="visible")
    code = wait_for(lambda: _codes(mail_dir, "somchai@example.com"))[-1]
    page.locator("#verify-form input[name=code]").fill(code)
    page.locator("#verify-form button[type=submit]").click()
    page.locator("#chat-status", has_text="ยืนยันอีเมลของคุณเรียบร้อยแล้ว").wait_for()
    page.screenshot(path=str(mail_dir / "verified-th-phone.png"))
    assert page.locator("#chat-verify").is_hidden()
    message.refresh_from_db()
    assert message.customer_id == owner.pk
    assert IdentityClaim.objects.get().verified_by == "code"
