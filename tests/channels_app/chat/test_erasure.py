"""A customer erased on request (tickets.services.privacy.customer_erase) while their
browser still holds the chat widget's signed session token, which carries the
visitor id, the name and the addresses of the pre-chat form."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from channels_app.chat import consumers
from channels_app.chat.session import session_from_token
from channels_app.chat.tasks import chat_transcript_send
from helpdesk.asgi import application
from tests.channels_app.chat.test_consumers import ORIGIN, new_token, open_chat
from tests.factories import make_user
from tickets import events
from tickets.models import ContactIdentity, Customer, IdentityClaim, Message, Role, Ticket
from tickets.services.privacy import customer_erase
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db(transaction=True)

PERSONAL = {"name": "Somchai Jaidee", "email": "somchai@example.com", "phone": "0812345678"}


def _personal_data_left() -> dict:
    """Every trace of Somchai's pre-chat form in the customers and their identities."""
    return {
        "customers": list(Customer.objects.filter(name=PERSONAL["name"]).values_list("pk", flat=True)),
        "identities": list(
            ContactIdentity.objects.filter(address__in=["somchai@example.com", "+66812345678"]).values_list(
                "kind", "address"
            )
        ),
        "claims": list(
            IdentityClaim.objects.filter(address__in=["somchai@example.com", "+66812345678"]).values_list(
                "kind", "address"
            )
        ),
    }


async def _chat_then_erase(token: str) -> dict:
    """Somchai chats and gets an answer; then he is erased. Returns the first ack."""
    chat, _ = await open_chat(token)
    await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": "My parcel 4711 is late"})
    ack = await chat.receive_json_from(timeout=5)
    await chat.receive_json_from(timeout=5)  # the echo to the visitor's other tabs
    await chat.disconnect()

    def answer_and_erase():
        ticket = Ticket.objects.get(pk=ack["ticket"])
        reply_create(ticket=ticket, author=make_user("agent-erasure", roles=[Role.AGENT]), text="It comes today.")
        customer_erase(customer=ticket.customer, actor=None)

    await sync_to_async(answer_and_erase)()
    return ack


async def _expect_session_erased(chat: WebsocketCommunicator) -> None:
    error = await chat.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "session_erased"
    assert "start a new chat" in error["message"]
    closed = await chat.receive_output(timeout=5)
    # 4401 is the code on which the widget forgets its token and shows the pre-chat form.
    assert closed == {"type": "websocket.close", "code": consumers.CLOSE_UNAUTHORIZED}
    await chat.disconnect()


async def _reconnect_is_refused(token: str) -> None:
    """The browser reloads the widget with its old token. No welcome comes, so no
    history and no name echoed back: an error that explains, then the close."""
    chat = WebsocketCommunicator(
        application, f"/ws/chat/?token={token}", headers=[(b"origin", ORIGIN), (b"host", b"testserver")]
    )
    connected, _ = await chat.connect()
    assert connected
    await _expect_session_erased(chat)


async def test_an_erased_visitors_token_is_told_to_start_again_and_resumes_nothing():
    token = new_token(**PERSONAL)
    await _chat_then_erase(token)
    assert await sync_to_async(_personal_data_left)() == {"customers": [], "identities": [], "claims": []}
    await _reconnect_is_refused(token)
    assert await sync_to_async(_personal_data_left)() == {"customers": [], "identities": [], "claims": []}


async def _open_chat_and_write(token: str) -> tuple[WebsocketCommunicator, int]:
    chat, _ = await open_chat(token)
    await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": "My parcel 4711 is late"})
    ack = await chat.receive_json_from(timeout=5)
    await chat.receive_json_from(timeout=5)
    return chat, await sync_to_async(lambda: Ticket.objects.get(pk=ack["ticket"]).customer_id)()


async def test_a_widget_open_during_the_erasure_is_told_at_once():
    chat, customer_id = await _open_chat_and_write(new_token(**PERSONAL))
    await sync_to_async(lambda: customer_erase(customer=Customer.objects.get(pk=customer_id), actor=None))()
    await _expect_session_erased(chat)


async def test_a_widget_that_missed_the_erasure_cannot_write_into_it_again(monkeypatch):
    # The announcement is lost (the channel layer delivers at most once).
    monkeypatch.setattr(events, "publish_chat_visitors_erased", lambda visitors: None)
    chat, customer_id = await _open_chat_and_write(new_token(**PERSONAL))
    await sync_to_async(lambda: customer_erase(customer=Customer.objects.get(pk=customer_id), actor=None))()
    assert await chat.receive_nothing(timeout=0.3)
    messages_before = await sync_to_async(Message.objects.count)()

    await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": "hello? it is Somchai"})
    await _expect_session_erased(chat)
    assert await sync_to_async(Message.objects.count)() == messages_before
    assert await sync_to_async(_personal_data_left)() == {"customers": [], "identities": [], "claims": []}


async def test_erasing_twice_changes_nothing_and_the_old_token_stays_refused():
    token = new_token(**PERSONAL)
    ack = await _chat_then_erase(token)

    def erase_again():
        customer = Ticket.objects.get(pk=ack["ticket"]).customer
        before = sorted(ContactIdentity.objects.values_list("kind", "address", "customer_id"))
        result = customer_erase(customer=customer, actor=None)
        return before, result, sorted(ContactIdentity.objects.values_list("kind", "address", "customer_id"))

    before, again, after = await sync_to_async(erase_again)()
    assert not again.first_erasure and again.identities == 0
    assert after == before
    # What is kept of the visitor does not contain its id.
    visitor = session_from_token(token).visitor
    assert [kind for kind, address, _ in after if visitor in address] == []
    await _reconnect_is_refused(token)


async def test_a_new_chat_after_the_erasure_is_a_new_customer():
    old_token = new_token(**PERSONAL)
    ack = await _chat_then_erase(old_token)
    response = await sync_to_async(Client().post)("/chat/session/", PERSONAL)
    assert response.status_code == 201
    chat, welcome = await open_chat(response.json()["token"])
    assert welcome["type"] == "welcome" and welcome["ticket"] is None and welcome["history"] == []
    await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": "Hello again"})
    new_ack = await chat.receive_json_from(timeout=5)
    await chat.disconnect()
    assert new_ack["type"] == "ack" and new_ack["ticket"] != ack["ticket"]
    left = await sync_to_async(_personal_data_left)()
    assert len(left["customers"]) == 1 and len(left["claims"]) == 2


def _upload(client: Client, token: str, content: bytes):
    """A file sent from the widget holding `token`."""
    upload = SimpleUploadedFile("note.txt", content, content_type="text/plain")
    return client.post("/chat/upload/", {"id": str(uuid.uuid4()), "file": upload}, headers={"X-Chat-Token": token})


def test_an_upload_with_an_erased_token_is_refused_and_stores_nothing(client):
    token = new_token(**PERSONAL)
    first = _upload(client, token, b"first")
    assert first.status_code == 201
    customer_erase(customer=Message.objects.get(pk=first.json()["id"]).customer, actor=None)
    messages_before = Message.objects.count()

    again = _upload(client, token, b"second")
    assert again.status_code == 401 and again.json()["error"]["code"] == "session_erased"
    assert Message.objects.count() == messages_before
    assert _personal_data_left() == {"customers": [], "identities": [], "claims": []}


def test_the_offline_form_with_an_erased_token_starts_afresh_from_what_the_form_says(client):
    token = new_token(**PERSONAL)
    first = _upload(client, token, b"first")
    customer_erase(customer=Message.objects.get(pk=first.json()["id"]).customer, actor=None)

    response = client.post(
        "/chat/offline/",
        {"name": "S.", "email": "s.new@example.com", "phone": "", "message": "Please call me back"},
        headers={"X-Chat-Token": token},
    )
    assert response.status_code == 201
    message = Message.objects.select_related("customer").get(text="Please call me back")
    assert message.customer.name == "S."
    assert sorted(message.customer.identity_claims.values_list("address", flat=True)) == ["s.new@example.com"]
    # Not the token's name, addresses or visitor id.
    assert _personal_data_left() == {"customers": [], "identities": [], "claims": []}
    assert message.metadata["visitor"] != session_from_token(token).visitor


def test_a_transcript_asked_for_before_the_erasure_is_not_sent_after_it(client):
    token = new_token(**PERSONAL)
    first = client.post(
        "/chat/upload/",
        {"id": str(uuid.uuid4()), "text": "my address is 12 Sukhumvit",
         "file": SimpleUploadedFile("a.txt", b"first", content_type="text/plain")},
        headers={"X-Chat-Token": token},
    )  # fmt: skip
    message = Message.objects.get(pk=first.json()["id"])
    customer_erase(customer=message.customer, actor=None)
    # The task was queued with the token before the erasure, and runs after it.
    assert (
        chat_transcript_send.apply(
            kwargs={"ticket_id": message.ticket_id, "token": token, "request_id": str(uuid.uuid4())}
        ).get()
        is False
    )
    assert mail.outbox == []
