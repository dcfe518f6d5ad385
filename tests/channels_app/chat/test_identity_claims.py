"""A pre-chat email or phone is a claim, not an identity. The impostor who types a
customer's email sees nothing of theirs and never lands on their timeline; the agent
sees the claim flagged. A claim becomes an identity in three ways: the embedding
site's signature, a code sent to the address, or an agent's one click."""

from __future__ import annotations

import re
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.db import connections
from django.test import Client

from channels_app.chat.session import chat_message_ingest, session_from_token
from helpdesk.asgi import application
from tests.factories import deliver, make_user
from tickets import tasks  # noqa: F401  (registers the follow-up tasks the pipeline hands over)
from tickets.models import ContactIdentity, Customer, IdentityClaim, Message, Role
from tickets.services.claims import identity_hash
from tickets.services.customers import customer_resolve

VICTIM = "somchai@example.com"


def _victim() -> Customer:
    customer = deliver("email", VICTIM, "My card ending 4242 was charged twice", sender_name="Somchai Jaidee").message.customer
    deliver("sms", "+66812345678", "Account number 123-4-56789 please", customer_id=customer.pk)
    return customer


def _session(client: Client, **fields) -> dict:
    response = client.post("/chat/session/", {"name": "Visitor", **fields})
    assert response.status_code == 201, response.content
    return response.json()


def _say(token: str, text: str) -> Message:
    return chat_message_ingest(session=session_from_token(token), client_id=str(uuid.uuid4()), text=text).message


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.mark.django_db(transaction=True)
async def test_the_impostor_sees_nothing_of_the_customer_and_the_agent_sees_the_claim_flagged(settings):
    victim = await sync_to_async(_victim)()
    impostor = await sync_to_async(_session)(Client(), email=VICTIM.upper())
    chat = WebsocketCommunicator(
        application, f"/ws/chat/?token={impostor['token']}", headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")]
    )  # fmt: skip
    try:
        assert (await chat.connect())[0]
        welcome = await chat.receive_json_from(timeout=5)
        assert welcome["history"] == [] and welcome["ticket"] is None
        await chat.send_json_to({"type": "message", "id": str(uuid.uuid4()), "text": "What did I order last week?"})
        assert (await chat.receive_json_from(timeout=5))["type"] == "ack"
        await chat.disconnect()
        # A reload: the widget's history is the impostor's own message, nothing of the victim's.
        again = WebsocketCommunicator(
            application, f"/ws/chat/?token={impostor['token']}", headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")]
        )  # fmt: skip
        assert (await again.connect())[0]
        history = (await again.receive_json_from(timeout=5))["history"]
        await again.disconnect()
    finally:
        await sync_to_async(connections.close_all)()
    assert [frame["text"] for frame in history] == ["What did I order last week?"]

    def check() -> None:
        message = Message.objects.get(text="What did I order last week?")
        assert message.customer_id != victim.pk
        assert not ContactIdentity.objects.filter(customer=message.customer, kind="email").exists()
        assert set(Message.objects.filter(customer=victim, direction="in").values_list("text", flat=True)) == {
            "My card ending 4242 was charged twice", "Account number 123-4-56789 please"
        }
        claim = IdentityClaim.objects.get(customer=message.customer)
        assert (claim.kind, claim.address, claim.may_be_id, claim.verified_at) == ("email", VICTIM, victim.pk, None)

        agent = make_user("agent-claims", roles=[Role.AGENT])
        console = Client()
        console.force_login(agent)
        page = console.get(f"/console/tickets/{message.ticket_id}/").content.decode()
        assert 'data-testid="identity-claims"' in page
        assert "Unverified" in page and "may be Somchai Jaidee" in page
        assert "4242" not in page and "123-4-56789" not in page

    try:
        await sync_to_async(check)()
    finally:
        await sync_to_async(connections.close_all)()


def test_a_claim_attaches_no_identity_and_finds_no_customer(db):
    victim = _victim()
    customer = customer_resolve(sender="chat:v-42", name="Wipa", extra_addresses=[VICTIM, "089 111 2222", "not an address@"])
    assert customer.pk != victim.pk
    assert set(customer.identities.values_list("kind", "address")) == {("chat", "v-42")}
    assert set(IdentityClaim.objects.filter(customer=customer).values_list("kind", "address", "may_be")) == {
        ("email", VICTIM, victim.pk), ("phone", "+66891112222", None)
    }
    # The claimed phone is still nobody's: an SMS from it is a customer of its own.
    assert customer_resolve(sender="+66891112222").pk not in {customer.pk, victim.pk}
    assert customer_resolve(sender="chat:v-42", extra_addresses=[VICTIM]).pk == customer.pk
    assert IdentityClaim.objects.filter(customer=customer).count() == 2


def test_the_site_vouches_for_its_signed_in_user_with_an_hmac(db, settings):
    settings.HELPDESK_CHAT_IDENTITY_SECRET = "s3cr3t-shared-with-the-shop-0123456789"
    victim = _victim()
    signed = identity_hash(user_id="shop-user-7", email=VICTIM)
    session = _session(Client(), email=VICTIM, user_id="shop-user-7", user_hash=signed)
    assert session["verified"] is True
    message = _say(session["token"], "Hi, it is really me")
    assert message.customer_id == victim.pk
    assert not IdentityClaim.objects.exists()

    forged = Client().post("/chat/session/", {"name": "x", "email": VICTIM, "user_id": "shop-user-7", "user_hash": "0" * 64})
    assert forged.status_code == 403
    assert forged.json()["error"]["code"] == "identity_not_verified"
    other_user = identity_hash(user_id="shop-user-8", email=VICTIM)
    assert Client().post("/chat/session/", {"name": "x", "email": VICTIM, "user_id": "shop-user-7", "user_hash": other_user}).status_code == 403


def test_the_visitor_proves_the_email_with_a_code(db, mailoutbox):
    victim = _victim()
    session = _session(Client(), email=VICTIM)
    message = _say(session["token"], "It is me, honestly")
    headers = {"HTTP_X_CHAT_TOKEN": session["token"]}
    client = Client()
    assert client.post("/chat/verify/", **headers).status_code == 202
    assert [mail.to for mail in mailoutbox] == [[VICTIM]]
    code = re.search(r"\b(\d{6})\b", mailoutbox[0].body).group(1)

    wrong = client.post("/chat/verify/confirm/", {"code": "000000" if code != "000000" else "111111"}, **headers)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "wrong_code")
    assert Message.objects.get(pk=message.pk).customer_id != victim.pk
    right = client.post("/chat/verify/confirm/", {"code": code}, **headers)
    assert right.status_code == 200 and right.json()["status"] == "verified"
    assert Message.objects.get(pk=message.pk).customer_id == victim.pk
    claim = IdentityClaim.objects.get()
    assert claim.verified_by == "code" and claim.verified_at is not None


def test_wrong_codes_run_out(db, mailoutbox):
    _victim()
    session = _session(Client(), email=VICTIM)
    _say(session["token"], "let me in")
    headers = {"HTTP_X_CHAT_TOKEN": session["token"]}
    Client().post("/chat/verify/", **headers)
    code = re.search(r"\b(\d{6})\b", mailoutbox[0].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [Client().post("/chat/verify/confirm/", {"code": wrong}, **headers).status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    assert Client().post("/chat/verify/confirm/", {"code": code}, **headers).status_code == 429


def test_an_agent_confirms_the_claim_in_one_click(db):
    victim = _victim()
    session = _session(Client(), email=VICTIM)
    message = _say(session["token"], "Please call me back")
    claim = IdentityClaim.objects.get()
    agent = make_user("agent-merge", roles=[Role.AGENT])
    console = Client()
    console.force_login(agent)
    response = console.post(f"/console/claims/{claim.pk}/confirm/", {"ticket": message.ticket_id})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.customer_id == victim.pk
    claim.refresh_from_db()
    assert (claim.verified_by, claim.verified_by_user_id) == ("agent", agent.pk)
    page = console.get(f"/console/tickets/{message.ticket_id}/").content.decode()
    assert 'data-testid="identity-claims"' not in page
    # Customers cannot confirm anything.
    assert Client().post(f"/console/claims/{claim.pk}/confirm/", {"ticket": message.ticket_id}).status_code == 302
