"""Both ways through real servers: an agent's reply leaves through the Celery delivery
task and Django's SMTP backend to an aiosmtpd server on 127.0.0.1, and the
customer's answers to that very mail (Gmail, Outlook, an out-of-office, a bounce)
come back through the pipeline into the right ticket."""

from __future__ import annotations

import email
from email import policy
from unittest import mock

import pytest
from django.core.files.base import ContentFile

from channels_app.email.inbound import email_ingest
from tests.channels_app.email.conftest import fixture_bytes
from tickets.models import Attachment, Message, Ticket
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db

CUSTOMER = "lek@example.net"
FIRST_MAIL = (
    b"From: Lek Srisuk <lek@example.net>\r\nTo: support@helpdesk.example\r\nSubject: Parcel 4471 is late\r\n"
    b"Message-ID: <first-4471@mail.example.net>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0700\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nMy parcel 4471 has not arrived.\r\n"
)


@pytest.fixture
def named_agent(agent):
    agent.first_name, agent.last_name = "Malee", "Wong"
    agent.save()
    return agent


def _reply(ticket, author, text, capture, *, with_file: bool = False) -> Message:
    with capture(execute=True):
        message = reply_create(ticket=ticket, author=author, text=text, channel="email")
        if with_file:
            attachment = Attachment(message=message, filename="label.pdf", content_type="application/pdf", size=9)
            attachment.file.save("label.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    message.refresh_from_db()
    return message


def test_agent_reply_goes_out_by_smtp_and_the_customers_replies_thread_back(
    named_agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp = smtp_server()
    first = email_ingest(raw=FIRST_MAIL)
    ticket = first.ticket
    token = f"[{ticket.reference}]"

    sent = _reply(
        ticket, named_agent, "It ships today, tracking TH123.", django_capture_on_commit_callbacks, with_file=True
    )

    assert sent.delivery_status == "sent"
    [(mail_from, rcpt_tos, data)] = smtp.received
    assert rcpt_tos == [CUSTOMER]
    out = email.message_from_bytes(data, policy=policy.default)
    assert out["Message-ID"] == sent.external_id
    assert sent.external_id.endswith("@helpdesk.example>")
    assert out["Subject"] == f"Re: Parcel 4471 is late {token}"
    assert out["From"].addresses[0].display_name == "Malee Wong (Support)"
    assert out["From"].addresses[0].addr_spec == "support@helpdesk.example"
    assert out["In-Reply-To"] == "<first-4471@mail.example.net>"
    assert out["References"] == "<first-4471@mail.example.net>"
    assert out.get_body(("plain",)).get_content().strip() == "It ships today, tracking TH123."
    [label] = list(out.iter_attachments())
    assert (label.get_filename(), label.get_content()) == ("label.pdf", b"%PDF-1.4\n")

    # Gmail answers with In-Reply-To and References, quoting the agent.
    gmail = email_ingest(
        raw=fixture_bytes(
            "gmail_reply.eml",
            from_=CUSTOMER,
            subject=out["Subject"],
            quoted="It ships today, tracking TH123.",
            in_reply_to=sent.external_id,
            references=f"{out['References']} {sent.external_id}",
        )  # fmt: skip
    )
    assert gmail.ticket.pk == ticket.pk
    assert gmail.message.text == "Still nothing here, the tracking page has not changed since Friday."
    assert "It ships today" in gmail.message.metadata["email"]["full_text"]
    assert b"It ships today" in bytes(gmail.event.raw)

    # The agent answers again; that mail names the customer's Gmail reply as its parent.
    second = _reply(ticket, named_agent, "Sorry, we have asked the courier.", django_capture_on_commit_callbacks)
    out2 = email.message_from_bytes(smtp.received[-1][2], policy=policy.default)
    assert out2["In-Reply-To"] == gmail.message.external_id
    assert sent.external_id in out2["References"].split()
    ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status="resolved")

    # Outlook drops In-Reply-To and writes "RE:"; References still name our mail.
    outlook = email_ingest(
        raw=fixture_bytes(
            "outlook_reply.eml",
            from_=CUSTOMER,
            subject=out2["Subject"].removeprefix("Re: "),
            references=f"<first-4471@mail.example.net> {second.external_id}",
            quoted="Sorry, we have asked the courier.",
        )  # fmt: skip
    )
    assert outlook.ticket.pk == ticket.pk
    assert outlook.message.text == "Thanks, the parcel arrived this morning. You can close this.\n\nLek"
    assert "asked the courier" not in outlook.message.html
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.reopen_count == 1
    assert Ticket.objects.count() == 1


def test_an_edited_subject_with_only_the_token_stays_in_its_ticket(named_agent):
    ticket = email_ingest(raw=FIRST_MAIL).ticket
    raw = (
        f"From: lek@example.net\r\nSubject: something else entirely [{ticket.reference}]\r\n"
        "Message-ID: <edited@mail.example.net>\r\n\r\nOne more question.\r\n"
    ).encode()
    assert email_ingest(raw=raw).ticket.pk == ticket.pk


def test_a_reply_from_someone_not_on_the_thread_never_lands_in_anothers_ticket(
    named_agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server()
    ticket = email_ingest(raw=FIRST_MAIL).ticket
    sent = _reply(ticket, named_agent, "It ships today.", django_capture_on_commit_callbacks)
    stranger = email_ingest(
        raw=fixture_bytes(
            "gmail_reply.eml",
            from_="stranger@example.org",
            subject=f"Re: Parcel 4471 is late [{ticket.reference}]",
            quoted="It ships today.",
            in_reply_to=sent.external_id,
            references=sent.external_id,
        )  # fmt: skip
    )
    assert stranger.ticket.pk != ticket.pk
    assert stranger.ticket.customer_id != ticket.customer_id
    assert Message.objects.filter(ticket=ticket).count() == 2


def test_out_of_office_and_bounce_never_reopen_and_the_bounce_fails_the_reply(
    named_agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server()
    ticket = email_ingest(raw=FIRST_MAIL).ticket
    sent = _reply(ticket, named_agent, "It ships today.", django_capture_on_commit_callbacks)
    ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status="resolved")
    subject = f"Parcel 4471 is late [{ticket.reference}]"

    ooo = email_ingest(
        raw=fixture_bytes(
            "out_of_office.eml",
            from_=CUSTOMER,
            subject=subject,
            in_reply_to=sent.external_id,
            references=sent.external_id,
        )
    )
    assert ooo.status == "processed" and ooo.ticket.pk == ticket.pk
    assert ooo.message.is_auto_reply is True

    bounce = email_ingest(
        raw=fixture_bytes("bounce_postfix.eml", from_=CUSTOMER, subject=subject, in_reply_to=sent.external_id)
    )
    assert bounce.status == "processed" and bounce.message is None
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == ("resolved", 0)
    sent.refresh_from_db()
    assert sent.delivery_status == "failed"
    assert "550 5.1.1" in sent.delivery_error and "User unknown" in sent.delivery_error
    assert Ticket.objects.count() == 1


def test_temporary_refusal_is_retried_with_the_same_message_id(
    named_agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp = smtp_server(data_replies=["451 4.3.0 Try again later"])
    ticket = email_ingest(raw=FIRST_MAIL).ticket
    sent = _reply(ticket, named_agent, "It ships today.", django_capture_on_commit_callbacks)

    assert sent.delivery_status == "sent"
    assert sent.delivery_attempts == 2
    assert sent.delivery_error == ""
    ids = [email.message_from_bytes(data)["Message-ID"] for data in smtp.attempted]
    assert ids == [sent.external_id, sent.external_id]
    assert len(smtp.received) == 1


def test_permanent_refusal_fails_at_once_with_the_servers_reason(
    named_agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp = smtp_server(rcpt_reply="550 5.1.1 <lek@example.net>: Recipient address rejected: User unknown")
    ticket = email_ingest(raw=FIRST_MAIL).ticket
    sent = _reply(ticket, named_agent, "It ships today.", django_capture_on_commit_callbacks)

    assert sent.delivery_status == "failed"
    assert sent.delivery_attempts == 1
    assert sent.delivery_error_code == "550"
    assert "Recipient address rejected: User unknown" in sent.delivery_error
    assert smtp.received == []


def test_a_server_that_keeps_refusing_for_now_ends_failed_after_the_retries(
    named_agent, smtp_server, django_capture_on_commit_callbacks
):
    from tickets.tasks import MAX_SEND_RETRIES

    smtp = smtp_server(data_replies=["451 4.7.1 Greylisted"] * (MAX_SEND_RETRIES + 1))
    ticket = email_ingest(raw=FIRST_MAIL).ticket
    sent = _reply(ticket, named_agent, "It ships today.", django_capture_on_commit_callbacks)

    assert sent.delivery_status == "failed"
    assert sent.delivery_attempts == MAX_SEND_RETRIES + 1
    assert "451 4.7.1 Greylisted" in sent.delivery_error
    assert len(smtp.attempted) == MAX_SEND_RETRIES + 1


def test_unreachable_mail_server_is_a_temporary_failure(named_agent, settings):
    from channels_app.email.outbound import email_send
    from tickets.registry import TransientSendError

    ticket = email_ingest(raw=FIRST_MAIL).ticket
    message = Message.objects.create(
        ticket=ticket, customer_id=ticket.customer_id, channel="email", direction="out", author=named_agent, text="hi"
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with pytest.raises(TransientSendError):
        email_send(message)


def test_an_esp_backend_of_anymail_sends_the_same_mail(named_agent, settings, django_capture_on_commit_callbacks):
    from django.core import mail

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    ticket = email_ingest(raw=FIRST_MAIL).ticket
    sent = _reply(ticket, named_agent, "It ships today.", django_capture_on_commit_callbacks)

    assert sent.delivery_status == "sent"
    [out] = mail.outbox
    assert out.extra_headers["Message-ID"] == sent.external_id
    assert out.extra_headers["In-Reply-To"] == "<first-4471@mail.example.net>"
    assert out.to == [CUSTOMER]


def test_esp_refusing_the_recipient_is_permanent(named_agent, settings):
    from anymail.exceptions import AnymailRecipientsRefused

    from channels_app.email.outbound import email_send
    from tickets.registry import PermanentSendError

    ticket = email_ingest(raw=FIRST_MAIL).ticket
    message = Message.objects.create(
        ticket=ticket, customer_id=ticket.customer_id, channel="email", direction="out", author=named_agent, text="hi"
    )
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    with mock.patch("anymail.backends.test.EmailBackend.send_messages", side_effect=AnymailRecipientsRefused()):
        with pytest.raises(PermanentSendError):
            email_send(message)


def test_a_reply_to_mail_that_named_no_sender_fails_with_a_reason(
    named_agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp = smtp_server()
    ticket = email_ingest(raw=b"Subject: no sender at all\r\nMessage-ID: <anon@x>\r\n\r\nhello\r\n").ticket
    sent = _reply(ticket, named_agent, "Who are you?", django_capture_on_commit_callbacks)

    assert sent.delivery_status == "failed"
    assert sent.delivery_error == "the customer has no email address"
    assert smtp.attempted == []
