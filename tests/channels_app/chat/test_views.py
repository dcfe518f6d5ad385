"""The widget's HTTP side: loader, widget page, pre-chat form, uploads, the offline
form, and the transcript by email."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_app.chat.session import agents_available, session_from_token, session_start
from channels_app.chat.tasks import chat_transcript_send
from tests.factories import deliver, make_user
from tickets.models import AgentProfile, Attachment, Message, Role, Ticket
from tickets.services.replies import default_reply_channel, reply_create

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_the_embed_loader_is_one_script(client):
    response = client.get("/chat/embed.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"/chat/widget/" in response.content


def test_the_widget_page_may_be_framed_and_speaks_the_asked_language(client):
    response = client.get("/chat/widget/?lang=th")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert '<html lang="th">' in response.content.decode()
    assert b'id="chat-strings"' in response.content


def test_nobody_online_shows_the_offline_form(client, agent, always_open):
    assert client.get("/chat/widget/").context["online"] is False
    AgentProfile.objects.filter(user=agent).update(presence="online")
    assert agents_available() is True
    assert client.get("/chat/widget/").context["online"] is True


def test_outside_business_hours_the_chat_is_offline_even_with_agents_online(agent, always_open):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    AgentProfile.objects.filter(user=agent).update(presence="online")
    always_open.hours.filter(weekday=6).delete()
    sunday_noon = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
    assert agents_available(now=sunday_noon) is False
    assert agents_available(now=monday_noon) is True


def test_the_pre_chat_form_gives_a_signed_session(client):
    response = client.post("/chat/session/", {"name": "Mali", "email": "Mali@Example.com", "phone": ""})
    assert response.status_code == 201
    session = session_from_token(response.json()["token"])
    assert session.name == "Mali" and session.email == "Mali@Example.com"
    assert response.json()["can_email_transcript"] is True
    assert session_from_token(response.json()["token"] + "x") is None


@pytest.mark.parametrize(
    ("data", "field"),
    [({"name": ""}, "name"), ({"name": "A", "email": "not-an-email"}, "email"), ({"name": "A", "phone": "abc"}, "phone")],
)
def test_the_pre_chat_form_explains_what_is_wrong(client, data, field):
    response = client.post("/chat/session/", data)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def _upload(client, token, *, content=PNG, name="photo.png", content_type="image/png", client_id=None):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(
        "/chat/upload/", {"file": upload, "id": client_id or str(uuid.uuid4())}, HTTP_X_CHAT_TOKEN=token
    )


def test_an_upload_goes_through_the_pipeline_once(client):
    session, token = session_start(name="Mali")
    client_id = str(uuid.uuid4())
    response = _upload(client, token, client_id=client_id)
    assert response.status_code == 201
    frame = response.json()
    assert frame["attachments"] == [{"filename": "photo.png", "content_type": "image/png", "size": len(PNG)}]
    message = Message.objects.get(pk=frame["id"])
    assert message.channel == "chat" and message.direction == "in"
    assert message.metadata["visitor"] == session.visitor
    attachment = Attachment.objects.get(message=message)
    assert attachment.file.read() == PNG
    again = _upload(client, token, client_id=client_id)
    assert again.status_code == 200 and again.json()["id"] == frame["id"]
    assert Attachment.objects.count() == 1


def test_uploads_are_checked(client, settings):
    _, token = session_start(name="Mali")
    assert _upload(client, "forged").status_code == 401
    assert _upload(client, token, client_id="nope").status_code == 400
    refused = _upload(client, token, content=b"<script>alert(1)</script>", name="x.html", content_type="text/html")
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "file_type"
    fake = _upload(client, token, content=b"MZ\x90\x00 not a png", name="a.png", content_type="image/png")
    assert fake.status_code == 415
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 10
    large = _upload(client, token)
    assert large.status_code == 413 and large.json()["error"]["code"] == "file_too_large"
    assert Message.objects.count() == 0


def test_an_offline_message_becomes_a_ticket_answered_by_email(client, agent):
    response = client.post("/chat/offline/", {"name": "Ploy", "message": "Call me back"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["__all__"]

    response = client.post("/chat/offline/", {"name": "Ploy", "email": "ploy@example.com", "message": "Refund?"})
    assert response.status_code == 201 and response.json()["reply_channel"] == "email"
    ticket = Ticket.objects.get()
    assert ticket.channel == "chat" and ticket.customer.name == "Ploy"
    # The address is only claimed, not an identity; it is still where the answer goes.
    assert not ticket.customer.identities.filter(kind="email").exists()
    assert ticket.customer.identity_claims.filter(kind="email", address="ploy@example.com").exists()
    assert default_reply_channel(ticket) == "email"
    reply = reply_create(ticket=ticket, author=agent, text="Your refund is on its way.")
    assert reply.channel == "email"


def test_an_offline_message_with_a_phone_is_answered_by_sms(client):
    response = client.post("/chat/offline/", {"name": "Ton", "phone": "081 234 5678", "message": "Hi"})
    assert response.status_code == 201 and response.json()["reply_channel"] == "sms"
    ticket = Ticket.objects.get()
    assert ticket.customer.identity_claims.filter(kind="phone", address="+66812345678").exists()
    assert default_reply_channel(ticket) == "sms"


def test_a_later_live_chat_is_answered_on_chat_and_the_offline_request_where_it_asked(client):
    """The offline message asked for SMS: its ticket is answered there. The customer
    then came back live: that chat's ticket is answered on the chat."""
    from channels_app.chat.session import chat_message_ingest

    session, _ = session_start(name="Ton", phone="0812345678")
    offline = chat_message_ingest(
        session=session, client_id=str(uuid.uuid4()), text="x", metadata={"offline": True, "reply_channel": "sms"}
    )
    live = chat_message_ingest(session=session, client_id=str(uuid.uuid4()), text="I am here now")
    assert live.ticket != offline.ticket
    assert default_reply_channel(offline.ticket) == "sms"
    assert default_reply_channel(live.ticket) == "chat"


def test_the_reply_goes_where_the_customer_last_wrote_on_this_ticket(agent):
    """DESIGN.md: the channel of the customer's last inbound message, on this ticket."""
    ticket = deliver("email", "ton@example.com", "My parcel is late", subject="Parcel").ticket
    Message.objects.create(
        ticket=ticket, customer=ticket.customer, channel="sms", direction="in", text="Any news?"
    )
    assert default_reply_channel(ticket) == "sms"
    deliver("email", "ton@example.com", "Another question entirely", subject="New topic")
    assert default_reply_channel(ticket) == "sms", "a message on another ticket moves nothing here"


def test_the_transcript_is_emailed_once_per_request_without_notes(roles):
    from channels_app.chat.session import chat_message_ingest

    agent = make_user("nok", roles=[Role.AGENT], first_name="Nok")
    session, token = session_start(name="Mali", email="mali@example.com")
    first = chat_message_ingest(session=session, client_id=str(uuid.uuid4()), text="My card was charged twice")
    ticket = first.ticket
    reply_create(ticket=ticket, author=agent, text="Secret note", is_note=True)
    reply_create(ticket=ticket, author=agent, text="We refunded one charge.")

    request_id = str(uuid.uuid4())
    assert chat_transcript_send.delay(ticket_id=ticket.pk, token=token, request_id=request_id).get() is True
    assert chat_transcript_send.delay(ticket_id=ticket.pk, token=token, request_id=request_id).get() is False
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["mali@example.com"] and ticket.reference in email.subject
    assert "My card was charged twice" in email.body and "We refunded one charge." in email.body
    assert "Nok" in email.body and "Secret note" not in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and "We refunded one charge." in html and "Secret note" not in html
