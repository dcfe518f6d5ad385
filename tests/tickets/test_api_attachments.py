"""Agent replies with files through the REST API: multipart uploads, the console's limits,
stored through Django's storage and sent on the ticket's channel."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import deliver
from tickets.models import Attachment, Message

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def ticket():
    return deliver("email", "malee@example.com", "Please send the invoice", subject="Invoice").ticket


def _url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/messages/"


def test_a_reply_with_files_is_stored_and_sent_by_email(agent_client, ticket, django_capture_on_commit_callbacks):
    files = [
        SimpleUploadedFile("ใบแจ้งหนี้ มกราคม.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("receipt.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        answer = agent_client.post(
            _url(ticket), {"text": "แนบใบแจ้งหนี้มาให้ค่ะ", "channel": "email", "attachments": files}, format="multipart"
        )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert [(a["filename"], a["content_type"], a["size"]) for a in body["attachments"]] == [
        ("ใบแจ้งหนี้ มกราคม.pdf", "application/pdf", len(PDF)),
        ("receipt.png", "image/png", 72),
    ]
    stored = Attachment.objects.filter(message_id=body["id"]).order_by("id")
    with stored[0].file.open("rb") as handle:
        assert handle.read() == PDF
    assert Message.objects.get(pk=body["id"]).delivery_status == "sent"
    sent = mail.outbox[-1]
    assert sent.to == ["malee@example.com"] and "แนบใบแจ้งหนี้มาให้ค่ะ" in sent.body
    assert [(name, content) for name, content, _type in sent.attachments][0] == ("ใบแจ้งหนี้ มกราคม.pdf", PDF)
    assert len(sent.attachments) == 2


def test_a_file_alone_is_a_reply(agent_client, ticket):
    answer = agent_client.post(
        _url(ticket), {"attachments": [SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")]}, format="multipart"
    )
    assert answer.status_code == 201 and answer.json()["text"] == ""
    assert answer.json()["attachments"][0]["filename"] == "a.txt"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "six", "attachments": "six"}, "Attach at most 5 files."),
        ({"text": "big", "attachments": "big"}, "big.bin is too large (at most 0 MB)."),
        ({"text": "x", "note": "true", "attachments": "one"}, "Internal notes cannot carry files."),
        ({"text": "x", "attachments": "empty"}, "The submitted file is empty."),
        ({"text": ""}, "Write a message or attach a file."),
    ],
)
def test_files_beyond_the_limits_are_a_clear_400(agent_client, ticket, settings, data, message):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 1000
    uploads = {
        "six": [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(6)],
        "big": [SimpleUploadedFile("big.bin", b"x" * 1001)],
        "one": [SimpleUploadedFile("one.txt", b"x")],
        "empty": [SimpleUploadedFile("empty.txt", b"")],
    }
    if "attachments" in data:
        data = {**data, "attachments": uploads[data["attachments"]]}
    answer = agent_client.post(_url(ticket), data, format="multipart")
    assert answer.status_code == 400
    assert message in answer.json()["detail"]
    assert not Message.objects.filter(ticket=ticket).exclude(direction="in").exists()
    assert not Attachment.objects.filter(message__ticket=ticket).exists()


def test_json_cannot_carry_a_file(agent_client, ticket):
    answer = agent_client.post(_url(ticket), {"text": "x", "attachments": ["aGVsbG8="]}, format="json")
    assert answer.status_code == 400 and "attachments" in answer.json()["detail"]


def test_the_schema_documents_the_multipart_reply(agent_client):
    schema = agent_client.get("/api/schema/?format=json").json()
    body = schema["paths"]["/api/v1/tickets/{id}/messages/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body and "application/json" in body
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    files = schema["components"]["schemas"][ref]["properties"]["attachments"]
    assert files["items"]["format"] == "binary" and "at most 5" in files["description"]
