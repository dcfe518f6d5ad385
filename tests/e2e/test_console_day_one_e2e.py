"""The agent console's first hour, in Debian's chromium against a real ASGI server
process, in Thai and English: a reply on the ticket's own channel with a file, sent
without waiting; a canned response inserted with "/"; a new outbound ticket; two
customers merged and the merge undone; a new chat appearing in another agent's
inbox without a click; an inline email image; a Thai file name kept exactly."""

from __future__ import annotations

import base64
import time
import urllib.request

import pytest
from django.conf import settings

from tests.channels_app.chat.conftest import open_around_the_clock
from tests.e2e.widget import chat_start
from tests.factories import deliver
from tickets.models import Attachment, CannedResponse, Customer, CustomerMerge, Message, Ticket

pytestmark = pytest.mark.e2e

LANGUAGES = [("en-US", "Send", "Reply"), ("th-TH", "ส่ง", "ตอบกลับ")]
THAI_FILE = "ใบเสร็จ ค่าบริการ เดือนมีนาคม.pdf"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAoAAAAKCAIAAAACUFjqAAAAEklEQVR4nGP4z8CAB+GTG8HSALfKY52fTcuYAAAAAElFTkSuQmCC"
)


def wait_for(predicate, *, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the condition")


def post_email(server_url: str, raw: bytes) -> None:
    request = urllib.request.Request(
        f"{server_url}/webhooks/email/inbound/",
        data=raw,
        headers={"X-Helpdesk-Token": settings.HELPDESK_INBOUND_TOKEN, "Content-Type": "message/rfc822"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 202)


@pytest.mark.parametrize(("locale", "send_label", "reply_label"), LANGUAGES)
def test_a_reply_goes_out_on_the_tickets_channel_with_a_file_without_waiting(
    asgi_server, agent_context, tmp_path, locale, send_label, reply_label, new_context, e2e_agent
):
    from tests.e2e.servers import session_cookie_for

    ticket = deliver("email", "malee@example.com", "Please send my receipt", subject="Receipt", sender_name="Malee").ticket
    deliver("sms", "+66812345678", "and this is an SMS from someone else")
    context = new_context(locale=locale)
    context.add_cookies([session_cookie_for(e2e_agent, url=asgi_server.url)])
    page = context.new_page()
    page.goto(f"/console/tickets/{ticket.pk}/")
    channel = page.locator("[data-testid=reply-channel]")
    assert channel.input_value() == "email"
    # No phone for this customer: SMS and WhatsApp are offered but disabled, with the reason.
    assert page.locator("[data-testid=reply-channel] option[value=whatsapp]").is_disabled()
    assert page.locator("[data-testid=reply-kind-reply]").locator("xpath=..").inner_text().strip() == reply_label
    file = tmp_path / THAI_FILE
    file.write_bytes(b"%PDF-1.4 receipt")
    page.locator("[data-testid=reply-attach]").set_input_files(str(file))
    page.locator("[data-testid=reply-file]", has_text=THAI_FILE).wait_for()
    page.locator("[data-testid=reply-text]").fill("Here is your receipt")
    url_before = page.url
    started = time.monotonic()
    page.get_by_role("button", name=send_label, exact=True).click()
    sent = page.locator("[data-testid=timeline] [data-testid=message][data-direction=out]", has_text="Here is your receipt")
    sent.wait_for(timeout=5000)
    assert time.monotonic() - started < 3
    assert page.url == url_before and page.locator("[data-testid=reply-text]").input_value() == ""
    assert sent.locator("[data-testid=attachment] a").inner_text() == THAI_FILE
    # The status follows live: the locmem mail backend takes it at once.
    sent.locator("[data-testid=delivery-status][data-status=sent]").wait_for(timeout=10_000)
    reply = Message.objects.get(ticket=ticket, direction="out", is_automatic=False)
    assert reply.channel == "email" and reply.attachments.get().filename == THAI_FILE


def test_a_reply_that_cannot_be_sent_gives_the_draft_back(asgi_server, agent_context, e2e_agent):
    ticket = deliver("email", "malee@example.com", "Where is my parcel?", subject="Parcel").ticket
    page = agent_context.new_page()
    page.goto(f"/console/tickets/{ticket.pk}/")
    page.locator("[data-testid=reply-text]").fill("It left the warehouse today")
    agent_context.set_offline(True)
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("[data-testid=reply-error]").wait_for(state="visible")
    assert page.locator("[data-testid=reply-text]").input_value() == "It left the warehouse today"
    agent_context.set_offline(False)
    assert not Message.objects.filter(ticket=ticket, direction="out", is_automatic=False).exists()


@pytest.mark.parametrize(("locale", "send_label", "reply_label"), LANGUAGES)
def test_a_canned_response_is_inserted_with_slash(asgi_server, new_context, e2e_agent, locale, send_label, reply_label):
    from tests.e2e.servers import session_cookie_for

    CannedResponse.objects.create(title="Greeting (EN)", body="Hello {{customer.name}}, this is {{agent.first_name}}.")
    CannedResponse.objects.create(title="ทักทาย (TH)", body="สวัสดีค่ะ คุณ{{customer.name}}")
    ticket = deliver("sms", "+66812345678", "hi", sender_name="Malee").ticket
    context = new_context(locale=locale)
    context.add_cookies([session_cookie_for(e2e_agent, url=asgi_server.url)])
    page = context.new_page()
    page.goto(f"/console/tickets/{ticket.pk}/")
    text = page.locator("[data-testid=reply-text]")
    text.press_sequentially("/gree")
    page.locator("[data-testid=canned-option]", has_text="Greeting (EN)").wait_for()
    text.press("Enter")
    page.wait_for_function("document.getElementById('reply-text').value.includes('Hello Malee')")
    assert text.input_value() == "Hello Malee, this is Nok."
    text.press("End")
    text.press("Enter")
    text.press_sequentially("/ทักทาย")
    page.locator("[data-testid=canned-option]", has_text="ทักทาย (TH)").click()
    page.wait_for_function("document.getElementById('reply-text').value.endsWith('สวัสดีค่ะ คุณMalee')")
    assert page.locator("[data-testid=canned-menu]").is_hidden()


@pytest.mark.parametrize("locale", ["en-US", "th-TH"])
def test_an_agent_starts_a_conversation(asgi_server, new_context, e2e_agent, locale):
    from tests.e2e.servers import session_cookie_for

    context = new_context(locale=locale)
    context.add_cookies([session_cookie_for(e2e_agent, url=asgi_server.url)])
    page = context.new_page()
    page.goto("/console/")
    page.locator("[data-testid=new-conversation]").click()
    page.locator("[data-testid=conversation-form]").wait_for()
    assert page.locator("[data-testid=whatsapp-template]").is_hidden()
    page.locator("select[name=channel]").select_option("whatsapp")
    assert page.locator("[data-testid=whatsapp-template]").is_visible()
    page.locator("select[name=channel]").select_option("email")
    page.locator("input[name=to]").fill("somchai@example.com")
    page.locator("input[name=subject]").fill("Your order ships today")
    page.locator("textarea[name=text]").fill("สวัสดีครับ คำสั่งซื้อของคุณจัดส่งวันนี้")
    page.locator("[data-testid=conversation-send]").click()
    page.locator("[data-testid=ticket-subject]", has_text="Your order ships today").wait_for()
    ticket = Ticket.objects.get(subject="Your order ships today")
    assert ticket.agent_initiated and ticket.channel == "email"
    assert page.locator("[data-testid=message][data-direction=out]", has_text="จัดส่งวันนี้").count() == 1


@pytest.mark.parametrize("locale", ["en-US", "th-TH"])
def test_two_customers_merged_and_the_merge_undone(asgi_server, new_context, e2e_agent, locale):
    from tests.e2e.servers import session_cookie_for

    email = deliver("email", "malee@example.com", "by email", subject="Invoice", sender_name="Malee").ticket
    sms = deliver("sms", "+66812345678", "by sms", sender_name="มาลี").ticket
    context = new_context(locale=locale)
    context.add_cookies([session_cookie_for(e2e_agent, url=asgi_server.url)])
    page = context.new_page()
    page.goto("/console/contacts/?q=0812345678")
    page.locator(f"[data-testid=contact-row][data-customer-id='{sms.customer_id}'] a").click()
    page.locator("[data-testid=merge-form] input[name=into]").fill("malee@example.com")
    page.locator("[data-testid=merge-submit]").click()
    page.wait_for_url(f"**/console/contacts/{email.customer_id}/")
    tickets = page.locator("[data-testid=contact-tickets]")
    tickets.locator(f"a[href='/console/tickets/{sms.pk}/']").wait_for()
    assert Customer.objects.get(pk=sms.customer_id).merged_into_id == email.customer_id
    page.locator("[data-testid=merge-undo]").click()
    page.wait_for_url(f"**/console/contacts/{sms.customer_id}/")
    assert page.locator("[data-testid=identities]").inner_text().count("+66812345678") == 1
    assert Customer.objects.get(pk=sms.customer_id).merged_into_id is None
    assert Ticket.objects.get(pk=sms.pk).customer_id == sms.customer_id
    assert CustomerMerge.objects.get().undone_at is not None


def test_a_new_chat_appears_in_another_agents_inbox_without_a_click(
    asgi_server, third_party_site, new_context, agent_context
):
    open_around_the_clock()
    deliver("sms", "+66810000001", "an older ticket")
    inbox = agent_context.new_page()
    # As when the agent works in another window: this one does not have the focus.
    inbox.add_init_script("Document.prototype.hasFocus = function () { return false; };")
    inbox.goto("/console/?view=all")
    rows = inbox.locator("[data-testid=ticket-row]")
    rows.first.wait_for()
    assert rows.count() == 1
    inbox.wait_for_function("document.getElementById('cn-connection').classList.contains('cn-hidden')")
    customer = new_context(viewport={"width": 390, "height": 780}).new_page()
    customer.goto(third_party_site)
    chat_start(customer, name="Ploy", text="สวัสดีค่ะ มีคำถามเรื่องพัสดุ")
    started = time.monotonic()
    inbox.locator("[data-testid=ticket-row]", has_text="Ploy").wait_for(timeout=5000)
    assert time.monotonic() - started < 3
    # The newest is on top, and nobody clicked anything.
    assert "Ploy" in rows.first.inner_text() and rows.count() == 2
    # The agent was in another window: the title counts what came in meanwhile.
    inbox.wait_for_function("document.title.startsWith('(1) ')")


def test_an_inline_image_is_shown_and_a_thai_file_name_is_kept_exactly(asgi_server, agent_context):
    image = base64.encodebytes(PNG).decode()
    encoded_name = "utf-8''" + urllib.request.quote(THAI_FILE)
    raw = (
        "From: Malee <malee@example.com>\r\nTo: support@example.com\r\nSubject: Broken screen\r\n"
        "Message-ID: <inline-e2e@example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        '--outer\r\nContent-Type: multipart/related; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        '<p>The screen looks like this:</p><img src="cid:shot@example.com" alt="screenshot" data-x="1">\r\n'
        "--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <shot@example.com>\r\n"
        'Content-Disposition: inline; filename="shot.png"\r\n\r\n'
        f"{image}\r\n--b1--\r\n"
        "--outer\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; filename*={encoded_name}\r\n\r\n"
        f"{base64.encodebytes(b'%PDF-1.4 x').decode()}\r\n--outer--\r\n"
    ).encode()
    post_email(asgi_server.url, raw)
    message = wait_for(lambda: Message.objects.filter(external_id__contains="inline-e2e").first())
    assert set(Attachment.objects.filter(message=message).values_list("filename", flat=True)) == {"shot.png", THAI_FILE}
    page = agent_context.new_page()
    page.goto(f"/console/tickets/{message.ticket_id}/")
    img = page.locator("[data-testid=message] .cn-msg-body img[alt=screenshot]")
    img.wait_for()
    page.wait_for_function(
        "document.querySelector('.cn-msg-body img[alt=screenshot]').complete"
        " && document.querySelector('.cn-msg-body img[alt=screenshot]').naturalWidth === 10"
    )
    assert "/console/inline/" in img.get_attribute("src")
    assert page.locator("[data-testid=attachment] a").inner_text() == THAI_FILE
    with page.expect_download() as download:
        page.locator("[data-testid=attachment] a").click()
    assert download.value.suggested_filename == THAI_FILE
