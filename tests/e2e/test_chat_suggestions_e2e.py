"""End to end: before a chat starts, the question a customer types in the widget brings
up the help center's articles that may answer it (kb's suggestions), in English and in
Thai, on a desktop and on a 375 px phone; the question then opens the chat.

One ASGI server process, Debian's chromium, the test database."""

from __future__ import annotations

import time

import pytest

from kb.models import Category
from kb.services import article_create
from tests.channels_app.chat.conftest import open_around_the_clock
from tests.e2e.widget import chat_open
from tickets.models import AgentProfile, Message

pytestmark = pytest.mark.e2e


def wait_for(predicate, *, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the condition")


@pytest.fixture
def help_center(transactional_db):
    category = Category.objects.create(slug="internet", name_en="Internet", name_th="อินเทอร์เน็ต")
    english = article_create(
        title="Change the Wi-Fi password of your router",
        body="Open the router's page at 192.168.1.1, sign in and choose **Wireless** to set a new password.",
        lang="en",
        category=category,
        published=True,
    )
    article_create(
        title="เปลี่ยนรหัสผ่าน Wi-Fi ของเราเตอร์",
        body="เปิดหน้าเราเตอร์ที่ 192.168.1.1 เข้าสู่ระบบ แล้วเลือก Wireless เพื่อตั้งรหัสผ่านใหม่",
        lang="th",
        category=category,
        published=True,
        translation_of=english,
    )
    article_create(
        title="Pay your bill <img src=x onerror=alert(1)>",
        body="Pay by bank transfer or card. <script>window.hacked = 1</script>",
        lang="en",
        category=category,
        published=True,
    )


@pytest.fixture
def agent_online(agent_context, e2e_agent):
    open_around_the_clock()
    page = agent_context.new_page()
    page.goto("/console/")
    wait_for(lambda: AgentProfile.objects.filter(user=e2e_agent, presence="online").exists())
    return page


def test_the_question_typed_before_a_chat_suggests_articles_and_opens_the_chat(
    help_center, agent_online, third_party_site, new_context, tmp_path
):
    customer = new_context(viewport={"width": 1280, "height": 800}).new_page()
    customer.goto(third_party_site)
    chat = chat_open(customer)
    question = chat.locator("#prechat-question")
    question.press_sequentially("forgot my wifi pasword", delay=20)

    box = chat.locator("#prechat-suggestions")
    link = box.get_by_role("link", name="Change the Wi-Fi password of your router")
    link.wait_for()
    assert link.get_attribute("target") == "_blank"
    assert "suggested=1" in link.get_attribute("href")
    assert box.locator("mark").count() >= 1
    customer.screenshot(path=str(tmp_path / "widget-suggestions-en.png"))

    # The article whose title and body hold markup shows it as text, and runs nothing.
    question.fill("pay bill")
    box.get_by_role("link", name="Pay your bill <img src=x onerror=alert(1)>").wait_for()
    assert box.locator("img, script").count() == 0
    assert chat.locator("body").evaluate("() => window.hacked === undefined")

    # Starting the chat sends the question as its first message.
    question.fill("How do I change my Wi-Fi password?")
    chat.locator("#prechat-form input[name=name]").fill("Mali")
    chat.locator("#prechat-form button[type=submit]").click()
    chat.locator(".chat-mine[data-state=sent]", has_text="How do I change my Wi-Fi password?").wait_for()
    message = wait_for(lambda: Message.objects.filter(channel="chat", direction="in").first())
    assert message.text == "How do I change my Wi-Fi password?"


def test_a_thai_question_on_a_phone_suggests_the_thai_article(help_center, agent_online, new_context, tmp_path):
    phone = new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, locale="th-TH")
    page = phone.new_page()
    page.goto("/chat/widget/?lang=th")
    page.locator("#prechat-question").press_sequentially("ลืมรหัสไวไฟ", delay=30)
    box = page.locator("#prechat-suggestions")
    box.get_by_role("link", name="เปลี่ยนรหัสผ่าน Wi-Fi ของเราเตอร์").wait_for()
    assert "บทความเหล่านี้" in box.inner_text()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(tmp_path / "widget-suggestions-th-375.png"))
