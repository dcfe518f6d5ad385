"""The dev outbox: with no provider configured, email, SMS and WhatsApp are
delivered to a table the console shows, through the real delivery task."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from channels_app.models import DevOutboxMessage
from channels_app.outbox.checks import dev_outbox_in_production
from channels_app.outbox.store import twilio_configured
from kb.portal.auth import signin_start
from tests.factories import deliver, make_user
from tests.fake_twilio import FakeTwilio
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db
OUTBOX_BACKEND = "channels_app.outbox.mail.EmailBackend"


def _reply(capture, agent, *, channel: str, sender: str, text: str, subject: str = ""):
    ticket = deliver(channel, sender, "help", subject=subject).ticket if subject else deliver(channel, sender, "help").ticket
    with capture(execute=True):
        message = reply_create(ticket=ticket, author=agent, text=text, channel=channel)
    message.refresh_from_db()
    return message


def test_an_sms_reply_is_delivered_to_the_outbox(agent, django_capture_on_commit_callbacks):
    assert not twilio_configured()  # the embedded defaults: no Twilio account

    message = _reply(django_capture_on_commit_callbacks, agent, channel="sms", sender="0812345678", text="ขอบคุณครับ")

    entry = DevOutboxMessage.objects.get()
    assert (entry.channel, entry.recipients, entry.text) == ("sms", "+66812345678", "ขอบคุณครับ")
    assert (message.delivery_status, message.delivery_error) == ("delivered", "")
    assert message.external_id == entry.external_id and entry.external_id.startswith("SM")


def test_a_whatsapp_reply_keeps_the_window_rule(agent, django_capture_on_commit_callbacks):
    message = _reply(
        django_capture_on_commit_callbacks, agent, channel="whatsapp", sender="whatsapp:+66812345678", text="hi"
    )

    assert message.delivery_status == "delivered"
    assert DevOutboxMessage.objects.get().recipients == "whatsapp:+66812345678"


def test_a_configured_twilio_takes_over(agent, django_capture_on_commit_callbacks, settings):
    # A Twilio API at TWILIO_API_BASE_URL is a provider, even a local fake one.
    fake_twilio = FakeTwilio(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN).start()
    settings.TWILIO_API_BASE_URL = fake_twilio.base_url
    try:
        message = _reply(django_capture_on_commit_callbacks, agent, channel="sms", sender="0812345678", text="hi")
    finally:
        fake_twilio.stop()

    assert len(fake_twilio.sent) == 1
    assert message.delivery_status == "sent"
    assert not DevOutboxMessage.objects.exists()


def test_an_email_reply_is_delivered_to_the_outbox(agent, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = OUTBOX_BACKEND

    message = _reply(
        django_capture_on_commit_callbacks, agent, channel="email", sender="Somchai@Example.com",
        text="See https://example.com/track", subject="Where is my order?",
    )  # fmt: skip

    entry = DevOutboxMessage.objects.get()
    assert entry.channel == "email"
    assert entry.recipients.lower() == "somchai@example.com"
    assert entry.subject.startswith("Re: Where is my order?")
    assert entry.external_id == message.external_id
    assert message.delivery_status == "delivered"
    assert not mail.outbox


def test_mail_with_html_and_files_is_kept_whole(settings):
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    sent = EmailMultiAlternatives("สวัสดี", "text part", "a@example.com", ["b@example.com"], cc=["c@example.com"])
    sent.attach_alternative("<p>html <b>part</b></p>", "text/html")
    sent.attach("ใบเสร็จ.pdf", b"%PDF-1.4", "application/pdf")
    assert sent.send() == 1

    entry = DevOutboxMessage.objects.get()
    assert (entry.subject, entry.text, entry.html) == ("สวัสดี", "text part", "<p>html <b>part</b></p>")
    assert entry.recipients == "b@example.com, c@example.com"
    assert entry.attachments == [{"filename": "ใบเสร็จ.pdf", "content_type": "application/pdf", "size": 8}]


def test_the_portal_sign_in_code_goes_to_the_outbox(settings):
    settings.PORTAL_SMS_CODE_SENDER = "channels_app.outbox.sending.portal_code_send"
    deliver("sms", "0812345678", "hello")

    signin_start(address="081 234 5678", language="th")

    entry = DevOutboxMessage.objects.get()
    assert entry.recipients == "+66812345678"
    assert "รหัส" in entry.text


def test_the_console_page_shows_sanitized_bodies_with_clickable_links(agent):
    DevOutboxMessage.objects.create(
        channel="email", recipients="b@example.com", subject="Sign in",
        html='<p>Open <a href="http://127.0.0.1:8123/portal/signin/x/">sign in</a></p><script>alert(1)</script>',
    )  # fmt: skip
    DevOutboxMessage.objects.create(channel="sms", recipients="+66812345678", text="Track: http://127.0.0.1:8123/t/1")
    client = Client()
    client.force_login(agent)

    page = client.get("/console/outbox/").content.decode()

    assert '<a href="http://127.0.0.1:8123/portal/signin/x/" rel="noopener noreferrer nofollow">sign in</a>' in page
    assert "alert(1)" not in page
    assert '<a href="http://127.0.0.1:8123/t/1"' in page
    assert 'data-testid="outbox-link"' in page  # the console's navigation leads here
    sms_only = client.get("/console/outbox/?channel=sms").content.decode()
    assert "Track:" in sms_only and "Sign in" not in sms_only


def test_the_console_page_is_for_agents_only(roles):
    assert Client().get("/console/outbox/").status_code == 302
    client = Client()
    client.force_login(make_user("someone"))
    assert client.get("/console/outbox/").status_code == 403


def test_the_page_costs_the_same_queries_for_many_messages(agent, django_assert_max_num_queries):
    client = Client()
    client.force_login(agent)
    DevOutboxMessage.objects.bulk_create(
        DevOutboxMessage(channel="sms", recipients=f"+6681234{i:04d}", text=f"m{i}") for i in range(30)
    )
    with django_assert_max_num_queries(12):
        assert client.get("/console/outbox/").status_code == 200


def test_the_portal_says_where_the_sign_in_mail_went(settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    assert 'href="/console/outbox/"' in client.get("/portal/signin/sent/").content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert "dev-outbox-hint" not in client.get("/portal/signin/sent/").content.decode()


def test_the_page_fetches_what_arrived_since_it_was_drawn(agent):
    first = DevOutboxMessage.objects.create(channel="sms", recipients="+66812345678", text="first")
    client = Client()
    client.force_login(agent)
    page = client.get("/console/outbox/").content.decode()
    assert f'data-last="{first.pk}"' in page

    assert client.get(f"/console/outbox/?after={first.pk}").content.decode().strip() == ""
    second = DevOutboxMessage.objects.create(channel="email", recipients="a@example.com", text="second")
    newer = client.get(f"/console/outbox/?after={first.pk}").content.decode()
    assert f'data-id="{second.pk}"' in newer and "first" not in newer
    assert client.get(f"/console/outbox/?after={first.pk}&channel=sms").content.decode().strip() == ""
    assert client.get("/console/outbox/?after=x").status_code == 400


def test_an_agent_empties_the_outbox(agent):
    DevOutboxMessage.objects.create(channel="sms", recipients="+66812345678", text="old")
    client = Client()
    client.force_login(agent)

    assert client.get("/console/outbox/clear/").status_code == 405
    assert client.post("/console/outbox/clear/").status_code == 302
    assert not DevOutboxMessage.objects.exists()
    assert Client().post("/console/outbox/clear/").status_code == 302  # to the sign-in page


def test_production_is_warned_when_messages_would_go_to_the_outbox(settings):
    settings.DEBUG = False
    settings.HELPDESK_ALLOW_DEV_SECRETS = False
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    assert {w.id for w in dev_outbox_in_production(None)} == {"channels_app.W001", "channels_app.W002"}

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    assert dev_outbox_in_production(None) == []
    settings.HELPDESK_ALLOW_DEV_SECRETS = True  # make run
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    assert dev_outbox_in_production(None) == []
