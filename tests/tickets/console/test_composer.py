"""The console's composer: the channel a reply goes out on, files attached to it
(Thai names kept), a send that never holds the request, inline email images and
the canned responses inserted with "/"."""

from __future__ import annotations

import base64
import json
import re
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from channels_app.email.inbound import email_ingest
from tests.factories import deliver, make_user
from tickets import registry
from tickets.models import Attachment, CannedResponse, Message, Role, Team
from tickets.selectors.console import canned_menu

pytestmark = pytest.mark.django_db

THAI_NAME = "ใบเสร็จ ค่าบริการ เดือนมีนาคม.pdf"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def post_reply(client: Client, ticket_id: int, **data):
    return client.post(f"/console/tickets/{ticket_id}/reply/", {"kind": "reply", **data}, HTTP_X_REQUESTED_WITH="fetch")


def test_the_default_is_this_tickets_channel_even_after_the_customer_wrote_elsewhere(agent_browser):
    email = deliver("email", "malee@example.com", "About my invoice", subject="Invoice").ticket
    sms = deliver("sms", "+66812345678", "and by SMS").ticket
    # One customer on both channels: the SMS sender is merged into the email customer.
    from tickets.services.customers import customer_merge

    customer_merge(source=sms.customer, target=email.customer)
    page = agent_browser.get(f"/console/tickets/{email.pk}/").content.decode()
    assert re.search(r'<option value="email" selected>', page)


def test_a_reply_with_files_is_queued_with_its_thai_file_name_kept(agent_browser, agent):
    ticket = deliver("email", "malee@example.com", "Please send the receipt", subject="Receipt").ticket
    response = post_reply(
        agent_browser,
        ticket.pk,
        text="Here it is",
        attachments=[SimpleUploadedFile(THAI_NAME, b"%PDF-1.4 receipt", content_type="application/pdf")],
    )
    assert response.status_code == 201
    body = response.json()
    reply = Message.objects.get(pk=body["message"])
    assert (reply.channel, reply.delivery_status, reply.author) == ("email", "queued", agent)
    attachment = reply.attachments.get()
    assert attachment.filename == THAI_NAME and attachment.size == 16
    # The entry for the timeline comes back with the file, named as written, and its status.
    assert THAI_NAME in body["html"] and 'data-status="queued"' in body["html"]
    download = agent_browser.get(f"/console/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 receipt"
    assert "filename*=utf-8''" in download["Content-Disposition"]


def test_a_channel_the_customer_has_no_address_for_is_refused_with_the_reason(agent_browser):
    ticket = deliver("email", "malee@example.com", "hello", subject="Hi").ticket
    response = post_reply(agent_browser, ticket.pk, channel="whatsapp", text="Hi on WhatsApp")
    assert response.status_code == 400
    assert response.json()["error"] == "No WhatsApp number for this customer"
    response = post_reply(agent_browser, ticket.pk, channel="sms", text="Hi by SMS")
    assert response.json()["error"] == "No phone number for this customer"
    assert not Message.objects.filter(direction="out").exists()


def test_bad_replies_are_clear_400s(agent_browser, settings):
    ticket = deliver("email", "malee@example.com", "hello", subject="Hi").ticket
    assert post_reply(agent_browser, ticket.pk, text="  ").json()["error"] == "Write a message or attach a file."
    assert post_reply(agent_browser, ticket.pk, channel="fax", text="x").status_code == 400
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 4
    big = SimpleUploadedFile("big.pdf", b"0123456789", content_type="application/pdf")
    response = post_reply(agent_browser, ticket.pk, text="x", attachments=[big])
    assert response.status_code == 400 and "big.pdf is too large" in response.json()["error"]
    files = [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(6)]
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 100
    assert "at most 5 files" in post_reply(agent_browser, ticket.pk, text="x", attachments=files).json()["error"]
    assert not Message.objects.filter(direction="out").exists()


@pytest.mark.django_db(transaction=True)
def test_a_slow_provider_never_holds_the_request(agent, settings):
    """Without a broker the send runs on a thread: the request answers at once with
    the reply queued, and the status moves on when the provider answers."""
    settings.HELPDESK_SEND_IN_BACKGROUND = True
    release = threading.Event()
    previous = registry._senders.get("sms")

    def slow_provider(message):
        release.wait(10)
        return registry.SendResult(external_id=f"SM-slow-{message.pk}")

    registry.register_sender("sms", slow_provider)
    try:
        ticket = deliver("sms", "+66812345678", "hello?").ticket
        client = Client()
        client.force_login(agent)
        started = time.monotonic()
        response = post_reply(client, ticket.pk, text="On it")
        elapsed = time.monotonic() - started
        assert response.status_code == 201 and elapsed < 1.5
        reply = Message.objects.get(pk=response.json()["message"])
        # Answered while the provider still holds the send.
        assert reply.delivery_status in ("queued", "sending")
        release.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            reply.refresh_from_db()
            if reply.delivery_status == "sent":
                break
            time.sleep(0.05)
        assert (reply.delivery_status, reply.external_id) == ("sent", f"SM-slow-{reply.pk}")
    finally:
        release.set()
        if previous is not None:
            registry.register_sender("sms", previous)


def _mail_with_inline_image() -> bytes:
    image = base64.encodebytes(PNG).decode()
    return (
        "From: Malee <malee@example.com>\r\nTo: support@example.com\r\nSubject: Broken screen\r\n"
        "Message-ID: <inline-1@example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/related; boundary="b1"\r\n\r\n'
        '--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n'
        '<p>Look at this:</p><img src="cid:shot-1@example.com" alt="screen"><img src="cid:missing@x">\r\n'
        "--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-ID: <shot-1@example.com>\r\nContent-Disposition: inline; filename=\"หน้าจอ.png\"\r\n\r\n"
        f"{image}\r\n--b1--\r\n"
    ).encode()


def test_inline_email_images_show_in_the_message(agent_browser):
    result = email_ingest(raw=_mail_with_inline_image())
    attachment = Attachment.objects.get()
    assert attachment.inline and attachment.filename == "หน้าจอ.png"
    page = agent_browser.get(f"/console/tickets/{result.ticket.pk}/").content.decode()
    assert f'<img src="/console/inline/{attachment.pk}/" alt="screen">' in page
    assert 'src="cid:missing@x"' in page  # a reference to nothing stays as it was
    image = agent_browser.get(f"/console/inline/{attachment.pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == PNG
    assert "sandbox" in image["Content-Security-Policy"]


def test_only_inline_raster_images_are_served_inline(agent_browser, client):
    ticket = deliver("email", "malee@example.com", "hello", subject="Hi").ticket
    message = ticket.messages.get()
    svg = Attachment.objects.create(message=message, filename="x.svg", content_type="image/svg+xml", inline=True)
    svg.file.save("x.svg", SimpleUploadedFile("x.svg", b"<svg/>"))
    assert agent_browser.get(f"/console/inline/{svg.pk}/").status_code == 404
    assert client.get(f"/console/inline/{svg.pk}/").status_code == 302  # signed out: to the sign-in page


def test_the_ticket_page_offers_the_canned_responses_for_the_slash_menu(agent_browser, agent):
    team = Team.objects.create(name="Billing")
    agent.agent_profile.teams.add(team)
    CannedResponse.objects.create(title="Greeting", body="Hello {{customer.name}}")
    CannedResponse.objects.create(title="Refunds", body="Refund for {{ticket.reference}}", team=team)
    CannedResponse.objects.create(title="Other team", body="x", team=Team.objects.create(name="Sales"))
    CannedResponse.objects.create(title="Mine", body="ขอบคุณค่ะ " * 40, owner=agent)
    CannedResponse.objects.create(title="Someone else's", body="x", owner=make_user("somchai.k", roles=[Role.AGENT]))
    ticket = deliver("email", "malee@example.com", "hello", subject="Hi", sender_name="Malee").ticket
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/").content.decode()
    menu = re.search(r'<script id="cn-canned-data" type="application/json">(.*?)</script>', page).group(1)
    assert [entry["title"] for entry in json.loads(menu)] == ["Greeting", "Mine", "Refunds"]
    # The page reads the menu in its own statement: the same entries as the selector's.
    assert json.loads(menu) == canned_menu(user=agent)
    assert len(json.loads(menu)[1]["preview"]) == 140
    refund = CannedResponse.objects.get(title="Refunds")
    filled = agent_browser.get(f"/console/tickets/{ticket.pk}/canned/{refund.pk}/").json()
    assert filled == {"text": f"Refund for HD-{ticket.pk}"}
    other = CannedResponse.objects.get(title="Other team")
    assert agent_browser.get(f"/console/tickets/{ticket.pk}/canned/{other.pk}/").status_code == 404


def test_the_ticket_page_costs_the_same_with_more_messages_and_canned_responses(agent_browser):
    ticket = deliver("email", "malee@example.com", "first", subject="Hi").ticket
    agent_browser.get(f"/console/tickets/{ticket.pk}/")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert agent_browser.get(f"/console/tickets/{ticket.pk}/").status_code == 200
        return len(queries)

    before = count()
    for n in range(5):
        deliver("email", "malee@example.com", f"more {n}", subject=f"Re: Hi [HD-{ticket.pk}]")
        CannedResponse.objects.create(title=f"c{n}", body="x", team=Team.objects.create(name=f"t{n}"))
    assert count() == before
