"""The raw-MIME webhook, and anymail's ESP inbound webhooks through anymail's real views."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.channels_app.email.conftest import fixture_bytes
from tickets.models import Attachment, InboundEvent, Message, Ticket

pytestmark = pytest.mark.django_db

URL = "/webhooks/email/inbound/"
TOKEN = "test-inbound-token"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.HELPDESK_INBOUND_TOKEN = TOKEN


def _post(client, body: bytes, token: str | None = TOKEN):
    headers = {"HTTP_X_HELPDESK_TOKEN": token} if token is not None else {}
    return client.post(URL, data=body, content_type="message/rfc822", **headers)


def test_webhook_stores_the_mail_and_answers_with_the_event_status(client):
    response = _post(client, fixture_bytes("thai_tis620.eml"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "processed"
    message = Message.objects.get(pk=body["message"])
    assert body["ticket"] == message.ticket_id
    assert message.text.startswith("สวัสดีครับ")
    assert message.metadata["email"]["source"] == "webhook"
    assert bytes(InboundEvent.objects.get(pk=body["event"]).raw) == fixture_bytes("thai_tis620.eml")


def test_duplicate_delivery_stores_one_message(client):
    first = _post(client, fixture_bytes("thai_windows874.eml"))
    again = _post(client, fixture_bytes("thai_windows874.eml"))

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["status"] == "duplicate"
    assert Message.objects.count() == 1
    assert InboundEvent.objects.count() == 2


@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x"])
def test_wrong_or_missing_token_is_403_and_stores_nothing(client, token):
    response = _post(client, fixture_bytes("thai_tis620.eml"), token=token)
    assert response.status_code == 403
    assert "X-Helpdesk-Token" in response.json()["detail"]
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"", "the body is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "not an RFC 5322 message"),
        (bytes(range(256)) * 4, "not an RFC 5322 message"),
    ],
)
def test_garbage_is_400_with_a_clear_message(client, body, detail):
    response = _post(client, body)
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert not InboundEvent.objects.exists()


def test_oversized_message_is_413(client, settings):
    settings.HELPDESK_MAX_INBOUND_BYTES = 1000
    response = _post(client, fixture_bytes("thai_windows874.eml"))
    assert response.status_code == 413
    assert "larger than the limit of 1000 bytes" in response.json()["detail"]
    assert not InboundEvent.objects.exists()


def test_only_post_is_allowed(client):
    assert client.get(URL, HTTP_X_HELPDESK_TOKEN=TOKEN).status_code == 405


# anymail ------------------------------------------------------------------------

WEBHOOK_SECRET = "hook:s3cret-basic-auth"
MAILGUN_KEY = "mailgun-webhook-signing-key-for-tests"


@pytest.fixture
def anymail_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode()}


def test_mailgun_inbound_mime_post_is_stored(client, anymail_settings):
    # Mailgun's "store and notify"/forward to a URL containing "mime": the raw message
    # in body-mime, signed with the webhook signing key.
    raw = fixture_bytes("thai_tis620.eml").decode("tis-620")
    timestamp, token = "1763888709", "c2b4a1f0e5d24ab8b31f9c0e7d6a5b4c3e2f1a0b9c8d7e6f5a"
    signature = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    form = {
        "recipient": "support@helpdesk.example",
        "sender": "somchai@example.co.th",
        "from": "somchai@example.co.th",
        "subject": "status",
        "body-mime": raw,
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }
    response = client.post("/webhooks/anymail/mailgun/inbound_mime/", data=form, **anymail_settings)

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.subject == "สอบถามสถานะการจัดส่ง"
    assert message.text.startswith("สวัสดีครับ")
    assert message.metadata["email"]["source"] == "anymail:mailgun"


def test_mailgun_with_a_bad_signature_is_refused(client, anymail_settings):
    form = {"body-mime": "From: a@example.com\r\n\r\nhi", "timestamp": "1", "token": "t", "signature": "0" * 64}
    response = client.post("/webhooks/anymail/mailgun/inbound_mime/", data=form, **anymail_settings)
    assert response.status_code == 400
    assert not Message.objects.exists()


@pytest.mark.filterwarnings("ignore:django-anymail has dropped official support for SendGrid")
def test_sendgrid_inbound_parse_with_parsed_fields_and_a_file(client, anymail_settings):
    # SendGrid Inbound Parse without "send raw": headers, text, html and the files as fields.
    headers = (
        "Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn Wed, 18 Nov 2026 04:12:02 +0000 (UTC)\n"
        "From: Anong Chai <anong@example.co.th>\n"
        "To: support@helpdesk.example\n"
        "Subject: =?UTF-8?B?4LmD4Lia4LmB4LiI4LmJ4LiH4Lir4LiZ4Li14LmJ?=\n"
        "Message-ID: <CAF=sg-inbound-1@mail.gmail.com>\n"
        "Date: Wed, 18 Nov 2026 11:11:58 +0700\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="000000000000d6f1f705f0b3c1a2"\n'
    )
    form = {
        "headers": headers,
        "dkim": "{@gmail.com : pass}",
        "to": "support@helpdesk.example",
        "from": "Anong Chai <anong@example.co.th>",
        "subject": "ใบแจ้งหนี้",
        "text": "ขอใบกำกับภาษีของเดือนตุลาคมค่ะ\n",
        "html": '<div dir="ltr">ขอใบกำกับภาษีของเดือนตุลาคมค่ะ</div>\n',
        "sender_ip": "209.85.220.41",
        "envelope": json.dumps({"to": ["support@helpdesk.example"], "from": "anong@example.co.th"}),
        "attachments": "1",
        "attachment-info": json.dumps(
            {"attachment1": {"filename": "receipt.pdf", "name": "receipt.pdf", "type": "application/pdf"}}
        ),
        "charsets": json.dumps({"to": "UTF-8", "html": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}),
        "SPF": "pass",
        "spam_score": "0.1",
        "attachment1": SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", content_type="application/pdf"),
    }
    response = client.post("/webhooks/anymail/sendgrid/inbound/", data=form, **anymail_settings)

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.subject == "ใบแจ้งหนี้"
    assert message.text == "ขอใบกำกับภาษีของเดือนตุลาคมค่ะ"
    assert message.external_id == "<CAF=sg-inbound-1@mail.gmail.com>"
    [receipt] = Attachment.objects.filter(message=message)
    assert (receipt.filename, receipt.content_type, receipt.size) == ("receipt.pdf", "application/pdf", 16)
    assert Ticket.objects.get().customer.identities.get().address == "anong@example.co.th"

    # SendGrid retries what it thinks failed: the same Message-ID is one message.
    form["attachment1"] = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    assert client.post("/webhooks/anymail/sendgrid/inbound/", data=form, **anymail_settings).status_code == 200
    assert Message.objects.count() == 1


@pytest.mark.filterwarnings("ignore:django-anymail has dropped official support for SendGrid")
def test_sendgrid_without_the_basic_auth_secret_is_refused(client, anymail_settings):
    response = client.post("/webhooks/anymail/sendgrid/inbound/", data={"email": "From: a@example.com\r\n\r\nhi"})
    assert response.status_code == 400
    assert not Message.objects.exists()
