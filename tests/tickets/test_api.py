"""The REST API against the contract in DESIGN.md: who may call it, customer lookup
by any address, the unified timeline, tickets and replies, clear 400s, and a
constant number of queries per page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import deliver, deliver_verified_chat, make_user
from tickets.inbound import InboundAttachment
from tickets.models import Customer, Message, Role, Tag, Ticket, TicketActivity
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_add_tags, ticket_assign, ticket_set_status

pytestmark = pytest.mark.django_db


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def supervisor_client(supervisor):
    return _client_for(supervisor)


@pytest.fixture
def customer_client(roles):
    """A portal customer: a Customer with a linked user, in no staff group."""
    customer = deliver("email", "portal.user@example.com", "hello").message.customer
    user = get_user_model().objects.create_user(username="portal.user@example.com", password=None)
    Customer.objects.filter(pk=customer.pk).update(user=user)
    return _client_for(user)


@pytest.fixture
def somchai():
    """One person on four channels, through the pipeline: one customer."""
    deliver("email", "Somchai.J@Example.com", "Where is order #A10423?", sender_name="สมชาย ใจดี", subject="Order")
    deliver_verified_chat("chat:visitor-1", "สวัสดีครับ", addresses=["somchai.j@example.com", "081 234 5678"])
    deliver("sms", "+66812345678", "ได้รับ SMS แล้ว")
    deliver("whatsapp", "whatsapp:+66812345678", "ทักทาง WhatsApp")
    return Customer.objects.get(identities__address="somchai.j@example.com")


def _endpoints(ticket: Ticket, customer: Customer) -> list[tuple[str, str, dict]]:
    return [
        ("get", "/api/v1/customers/", {}),
        ("get", "/api/v1/customers/?identity=0812345678", {}),
        ("get", f"/api/v1/customers/{customer.pk}/", {}),
        ("patch", f"/api/v1/customers/{customer.pk}/", {"notes": "x"}),
        ("get", f"/api/v1/customers/{customer.pk}/timeline/", {}),
        ("post", f"/api/v1/customers/{customer.pk}/merge/", {"into": customer.pk}),
        ("get", "/api/v1/tickets/", {}),
        ("post", "/api/v1/tickets/", {"customer": customer.pk, "subject": "x", "channel": "email"}),
        ("get", f"/api/v1/tickets/{ticket.pk}/", {}),
        ("patch", f"/api/v1/tickets/{ticket.pk}/", {"status": "resolved"}),
        ("get", f"/api/v1/tickets/{ticket.pk}/messages/", {}),
        ("post", f"/api/v1/tickets/{ticket.pk}/messages/", {"text": "hi"}),
    ]


def test_every_endpoint_refuses_strangers_and_customers(anon_client, customer_client, agent_client, somchai):
    ticket = somchai.tickets.first()
    endpoints = _endpoints(ticket, somchai)
    # Every route of the customers and tickets API is in the list (new ones must be added).
    schema = agent_client.get("/api/schema/", {"format": "json"}).json()
    routes = {
        (method, path) for path, ops in schema["paths"].items() for method in ops
        if path.startswith(("/api/v1/customers/", "/api/v1/tickets/")) and method != "put"
    }  # fmt: skip
    listed = {(method, re.sub(r"/\d+/", "/{id}/", url.split("?")[0])) for method, url, _ in endpoints}
    assert routes == listed
    messages_before = Message.objects.count()

    for method, url, data in endpoints:
        response = getattr(anon_client, method)(url, data, format="json")
        assert response.status_code in (401, 403), (method, url, response.status_code)
        response = getattr(customer_client, method)(url, data, format="json")
        assert response.status_code == 403, (method, url, response.status_code)
        assert "agents" in response.json()["detail"]
    assert Message.objects.count() == messages_before
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


def test_agents_and_supervisors_see_every_ticket(agent_client, supervisor_client, agent, supervisor, somchai):
    other = make_user("agent2", roles=[Role.AGENT])
    tickets = list(somchai.tickets.order_by("pk"))
    ticket_assign(ticket=tickets[0], assignee=other)
    ticket_assign(ticket=tickets[1], assignee=supervisor)
    for client in (agent_client, supervisor_client):
        listed = client.get("/api/v1/tickets/").json()
        assert listed["next"] is None and len(listed["results"]) == 4
        assert {t["id"] for t in listed["results"]} == {t.pk for t in tickets}
        assert client.get(f"/api/v1/tickets/{tickets[0].pk}/").json()["assignee"]["username"] == "agent2"
        timeline = client.get(f"/api/v1/customers/{somchai.pk}/timeline/").json()["results"]
        assert len(timeline) == 4


@pytest.mark.parametrize(
    "address",
    ["+66 81 234 5678", "0812345678", "whatsapp:+66812345678", "tel:+66-81-234-5678", "Somchai.J@EXAMPLE.com",
     "Mixed.Case@Example.com"],
)  # fmt: skip
def test_customer_found_by_any_spelling_of_any_address(agent_client, somchai, address):
    deliver("email", "Mixed.Case@Example.com", "another address", sender_extra_addresses=[])
    mixed = Customer.objects.get(identities__address="mixed.case@example.com")
    expected = mixed if "mixed" in address.lower() else somchai
    response = agent_client.get("/api/v1/customers/", {"identity": address})
    assert response.status_code == 200
    found = response.json()["results"]
    assert [c["id"] for c in found] == [expected.pk]
    if expected == somchai:
        assert {i["address"] for i in found[0]["identities"]} == {
            "somchai.j@example.com", "+66812345678", "visitor-1"
        }  # fmt: skip


def test_plus_address_is_its_own_identity_and_found_by_its_base(agent_client):
    plus = deliver("email", "Ann+Shop@Example.com", "hi from my shop address").message.customer
    found = agent_client.get("/api/v1/customers/", {"identity": "ann@example.com"}).json()["results"]
    assert [c["id"] for c in found] == [plus.pk]
    exact = agent_client.get("/api/v1/customers/", {"identity": "ann+shop@example.com"}).json()["results"]
    assert [c["id"] for c in exact] == [plus.pk]
    # Once the base address writes too, it is a customer of its own and wins the exact match.
    base = deliver("email", "ann@example.com", "hi from my own address").message.customer
    assert base.pk != plus.pk
    found = agent_client.get("/api/v1/customers/", {"identity": "ANN@example.com"}).json()["results"]
    assert [c["id"] for c in found] == [base.pk]


def test_unknown_identity_finds_nobody(agent_client, somchai):
    response = agent_client.get("/api/v1/customers/", {"identity": "0899999999"})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("address", ["", "@@", "not a number", "whatsapp:", "chat:"])
def test_invalid_identity_is_a_400_that_says_why(agent_client, address):
    response = agent_client.get("/api/v1/customers/", {"identity": address})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail and ("address" in detail or "number" in detail or "visitor" in detail), detail


def _customer_with_long_timeline(messages: int = 60) -> Customer:
    first = deliver("sms", "+66811111111", "ข้อความแรก", attachments=[
        InboundAttachment(filename="slip.png", content_type="image/png", content=b"\x89PNG" + b"0" * 60),
    ])  # fmt: skip
    customer = first.message.customer
    for i in range(1, messages):
        channel = ("email", "sms", "whatsapp", "chat")[i % 4]
        sender = {"email": "long@example.com", "chat": "chat:long", "whatsapp": "whatsapp:+66811111111"}.get(
            channel, "+66811111111"
        )
        deliver(
            channel, sender, f"message {i}", customer_id=customer.pk if channel in ("email", "chat") else None,
            attachments=[
                InboundAttachment(filename=f"file-{i}.pdf", content_type="application/pdf", content=b"%PDF" * i),
                InboundAttachment(filename=f"photo-{i}.jpg", content_type="image/jpeg", content=b"\xff\xd8" * 10),
            ],
        )  # fmt: skip
    return customer


def test_timeline_items_newest_first_with_attachments_and_pages(agent_client):
    customer = _customer_with_long_timeline(12)
    ticket = customer.tickets.order_by("pk").first()
    agent = make_user("writer", roles=[Role.AGENT])
    note = reply_create(ticket=ticket, author=agent, text="internal: checked the payment", is_note=True)

    page = agent_client.get(f"/api/v1/customers/{customer.pk}/timeline/", {"page_size": 5}).json()
    items = page["results"]
    assert len(items) == 5
    assert items[0]["id"] == note.pk
    assert items[0]["direction"] == "note"
    assert items[1]["text"] == "message 11"
    for item in items:
        assert {"id", "ticket", "channel", "direction", "text", "attachments", "created_at"} <= item.keys()
        assert item["channel"] in {"email", "sms", "whatsapp", "chat"}
        assert item["direction"] in {"in", "out", "note"}
    message_11 = items[1]
    assert [(a["filename"], a["content_type"], a["size"]) for a in message_11["attachments"]] == [
        ("file-11.pdf", "application/pdf", 44), ("photo-11.jpg", "image/jpeg", 20)
    ]  # fmt: skip

    # Following the cursor walks the whole timeline once, newest first.
    seen, url = [item["id"] for item in items], page["next"]
    while url:
        page = agent_client.get(url).json()
        seen += [item["id"] for item in page["results"]]
        url = page["next"]
    expected = list(Message.objects.filter(customer=customer).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert seen == expected
    assert len(seen) == 13
    oldest = agent_client.get(f"/api/v1/customers/{customer.pk}/timeline/", {"page_size": 200}).json()["results"][-1]
    assert oldest["text"] == "ข้อความแรก"
    assert oldest["attachments"][0]["filename"] == "slip.png"


@pytest.mark.parametrize("page_size", [5, 50])
def test_timeline_costs_the_same_queries_for_any_page_size(agent_client, django_assert_num_queries, page_size):
    customer = _customer_with_long_timeline(60)
    # The token with its user and their roles, the customer, the page of messages, their attachments.
    with django_assert_num_queries(4):
        response = agent_client.get(f"/api/v1/customers/{customer.pk}/timeline/", {"page_size": page_size})
    items = response.json()["results"]
    assert len(items) == page_size
    assert all(item["attachments"] for item in items)


@pytest.mark.parametrize("page_size", [5, 50])
def test_ticket_list_costs_the_same_queries_for_any_page_size(
    agent_client, agent, django_assert_num_queries, page_size
):
    for i in range(60):
        ticket = deliver("sms", f"+6681000{i:04d}", f"need help {i}").message.ticket
        ticket_add_tags(ticket=ticket, names=["billing", f"batch-{i % 3}"])
        ticket_assign(ticket=ticket, assignee=agent)
    # The token with its user and their roles, the page (with customer, assignee, team, and
    # on PostgreSQL the tags), the tags elsewhere: no COUNT(*).
    statements = 2 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(statements):
        response = agent_client.get("/api/v1/tickets/", {"page_size": page_size})
    results = response.json()["results"]
    assert len(results) == page_size
    assert all("billing" in t["tags"] and t["assignee"]["username"] == "agent1" for t in results)
    # A later page, by its cursor, costs the same.
    with django_assert_num_queries(statements):
        later = agent_client.get(response.json()["next"]).json()["results"]
    assert later and not {t["id"] for t in later} & {t["id"] for t in results}


def test_ticket_list_cursor_walks_every_ticket_once_most_recent_first(agent_client):
    for i in range(23):
        deliver("sms", f"+6682000{i:04d}", f"order {i}")
    seen, url = [], "/api/v1/tickets/?page_size=5"
    while url:
        page = agent_client.get(url).json()
        seen += [(t["updated_at"], t["id"]) for t in page["results"]]
        url = page["next"]
    assert len(seen) == 23 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_ticket_list_filters(agent_client, agent, somchai):
    email_ticket = somchai.tickets.get(channel="email")
    sms_ticket = somchai.tickets.get(channel="sms")
    other = deliver("chat", "chat:someone-else", "ขอสอบถามราคาแพ็กเกจ", sender_name="วิภา").message.ticket
    ticket_assign(ticket=email_ticket, assignee=agent)
    ticket_add_tags(ticket=sms_ticket, names=["refund"])
    ticket_set_status(ticket=sms_ticket, status="pending")

    def ids(**params) -> set[int]:
        response = agent_client.get("/api/v1/tickets/", params)
        assert response.status_code == 200, response.json()
        return {t["id"] for t in response.json()["results"]}

    assert ids(status="pending") == {sms_ticket.pk}
    assert ids(status="new,pending") == {t.pk for t in Ticket.objects.all()}
    assert ids(channel="email,sms") == {email_ticket.pk, sms_ticket.pk}
    assert ids(assignee=agent.pk) == {email_ticket.pk}
    assert email_ticket.pk not in ids(assignee="none")
    assert ids(tag="refund") == {sms_ticket.pk}
    assert ids(customer=somchai.pk) == set(somchai.tickets.values_list("pk", flat=True))
    assert ids(q="วิภา") == {other.pk}
    assert ids(q=str(email_ticket.pk)) == {email_ticket.pk}


@pytest.mark.parametrize(
    "params, field",
    [({"status": "bogus"}, "status"), ({"channel": "fax"}, "channel"), ({"priority": "9"}, "priority"),
     ({"team": "billing"}, "team"), ({"assignee": "me"}, "assignee"), ({"customer": "x1"}, "customer")],
)  # fmt: skip
def test_unknown_filter_values_are_a_400(agent_client, params, field):
    response = agent_client.get("/api/v1/tickets/", params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:")


def test_agent_opened_ticket_has_no_first_response(agent_client, agent, somchai, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            "/api/v1/tickets/",
            {"customer": somchai.pk, "subject": "Your refund is ready", "channel": "email", "text": "เงินคืนโอนแล้วค่ะ"},
            format="json",
        )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["agent_initiated"] is True
    assert created["status"] == "open"
    assert created["first_response_at"] is None
    ticket = Ticket.objects.get(pk=created["id"])
    assert ticket.messages.get().direction == "out"
    assert len(mail.outbox) == 1
    # The customer answers by email and the agent replies again: still no first response.
    deliver("email", "somchai.j@example.com", "ขอบคุณครับ", subject=f"Re: Your refund is ready [{ticket.reference}]")
    assert ticket.messages.count() == 2
    agent_client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"text": "ยินดีค่ะ"}, format="json")
    detail = agent_client.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["first_response_at"] is None and detail["first_response_s"] is None


def test_ticket_create_validates(agent_client, somchai):
    response = agent_client.post("/api/v1/tickets/", {"customer": somchai.pk, "channel": "fax"}, format="json")
    assert response.status_code == 400
    assert "subject" in response.json()["errors"] and "channel" in response.json()["errors"]


def test_status_change_and_invalid_transition(agent_client, somchai):
    ticket = somchai.tickets.get(channel="sms")
    response = agent_client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "resolved"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response.json()["resolved_at"] is not None
    assert agent_client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "closed"}, format="json").status_code == 200

    response = agent_client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "open"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "a closed ticket cannot become open"
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    response = agent_client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "sleeping"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["detail"]


def test_reply_and_note_through_the_api(agent_client, agent, somchai, django_capture_on_commit_callbacks):
    ticket = somchai.tickets.get(channel="email")
    with django_capture_on_commit_callbacks(execute=True):
        reply = agent_client.post(
            f"/api/v1/tickets/{ticket.pk}/messages/", {"text": "กำลังตรวจสอบให้ค่ะ", "channel": "email"}, format="json"
        )
    assert reply.status_code == 201, reply.json()
    assert reply.json()["direction"] == "out"
    assert reply.json()["author"]["username"] == "agent1"
    note = agent_client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"text": "VIP, be quick", "note": True}, format="json")
    assert note.status_code == 201
    assert note.json()["direction"] == "note"
    assert note.json()["delivery_status"] == ""

    ticket.refresh_from_db()
    assert ticket.agent_reply_count == 1
    assert ticket.first_response_at is not None
    assert len(mail.outbox) == 1
    assert "กำลังตรวจสอบให้ค่ะ" in mail.outbox[0].body
    assert mail.outbox[0].to == ["somchai.j@example.com"]
    conversation = agent_client.get(f"/api/v1/tickets/{ticket.pk}/messages/").json()["results"]
    assert [m["direction"] for m in conversation] == ["in", "out", "note"]
    timeline = agent_client.get(f"/api/v1/customers/{somchai.pk}/timeline/").json()["results"]
    assert [m["text"] for m in timeline[:2]] == ["VIP, be quick", "กำลังตรวจสอบให้ค่ะ"]


def test_reply_with_status(agent_client, somchai):
    ticket = somchai.tickets.get(channel="chat")
    response = agent_client.post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"text": "Solved!", "status": "resolved"}, format="json"
    )
    assert response.status_code == 201
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_reply_is_a_400(agent_client, somchai, text):
    ticket = somchai.tickets.first()
    response = agent_client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"text": text}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("text:")
    assert not ticket.messages.exclude(direction="in").exists()


def test_reply_to_closed_ticket_is_a_400(agent_client, somchai):
    ticket = somchai.tickets.first()
    ticket_set_status(ticket=ticket, status="closed")
    response = agent_client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"text": "hello?"}, format="json")
    assert response.status_code == 400
    assert "closed" in response.json()["detail"]


@pytest.mark.parametrize(
    "method, url",
    [("post", "/api/v1/tickets/"), ("patch", "/api/v1/tickets/{ticket}/"), ("post", "/api/v1/tickets/{ticket}/messages/"),
     ("post", "/api/v1/customers/{customer}/merge/"), ("patch", "/api/v1/customers/{customer}/")],
)  # fmt: skip
def test_malformed_json_is_a_400(agent_client, somchai, method, url):
    url = url.format(ticket=somchai.tickets.first().pk, customer=somchai.pk)
    response = getattr(agent_client, method)(url, data='{"text": "unterminated', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_unknown_ids_are_404(agent_client):
    assert agent_client.get("/api/v1/tickets/999999/").status_code == 404
    assert agent_client.get("/api/v1/customers/999999/timeline/").status_code == 404
    assert agent_client.post("/api/v1/tickets/999999/messages/", {"text": "x"}, format="json").status_code == 404


def test_schema_and_docs_answer(agent_client):
    schema = agent_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/customers/{id}/timeline/" in schema.content
    docs = agent_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_merge_keeps_everything_and_is_idempotent(agent_client, agent):
    email_side = deliver("email", "emily.carter@example.com", "Charged twice", sender_name="Emily Carter").message
    phone_side = deliver("sms", "089 555 0101", "Did you get my email?").message
    deliver("whatsapp", "whatsapp:+66895550101", "Also on WhatsApp")
    source, target = phone_side.customer, email_side.customer
    assert source.pk != target.pk
    messages = set(Message.objects.filter(customer__in=[source, target]).values_list("pk", flat=True))
    tickets = set(Ticket.objects.filter(customer__in=[source, target]).values_list("pk", flat=True))

    for _ in range(2):
        response = agent_client.post(f"/api/v1/customers/{source.pk}/merge/", {"into": target.pk}, format="json")
        assert response.status_code == 200, response.json()
        merged = response.json()
        assert merged["id"] == target.pk
        assert merged["name"] == "Emily Carter"
        assert {i["address"] for i in merged["identities"]} == {"emily.carter@example.com", "+66895550101"}
        assert set(Message.objects.filter(customer=target).values_list("pk", flat=True)) == messages
        assert set(Ticket.objects.filter(customer=target).values_list("pk", flat=True)) == tickets
    assert TicketActivity.objects.filter(kind="merged").count() == 2  # one per moved ticket, not per call
    timeline = agent_client.get(f"/api/v1/customers/{target.pk}/timeline/").json()["results"]
    assert {m["channel"] for m in timeline} == {"email", "sms", "whatsapp"}
    found = agent_client.get("/api/v1/customers/", {"identity": "0895550101"}).json()["results"]
    assert [c["id"] for c in found] == [target.pk]
    # The merged-away customer is no longer listed.
    assert source.pk not in {c["id"] for c in agent_client.get("/api/v1/customers/").json()["results"]}


def test_merge_into_itself_or_into_a_merged_customer_is_a_400(agent_client):
    a = deliver("sms", "+66811110001", "a").message.customer
    b = deliver("sms", "+66811110002", "b").message.customer
    c = deliver("sms", "+66811110003", "c").message.customer
    response = agent_client.post(f"/api/v1/customers/{a.pk}/merge/", {"into": a.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "cannot merge a customer into itself"
    assert agent_client.post(f"/api/v1/customers/{a.pk}/merge/", {"into": b.pk}, format="json").status_code == 200
    response = agent_client.post(f"/api/v1/customers/{c.pk}/merge/", {"into": a.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("into:")
    response = agent_client.post(f"/api/v1/customers/{a.pk}/merge/", {"into": c.pk}, format="json")
    assert response.status_code == 400
    assert "already merged" in response.json()["detail"]


def test_customer_update(agent_client, somchai):
    response = agent_client.patch(f"/api/v1/customers/{somchai.pk}/", {"tier": "vip", "notes": "ลูกค้าประจำ"}, format="json")
    assert response.status_code == 200
    assert Customer.objects.get(pk=somchai.pk).is_vip
    response = agent_client.patch(f"/api/v1/customers/{somchai.pk}/", {"tier": "platinum"}, format="json")
    assert response.status_code == 400


def test_tag_names_are_listed_once(agent_client, somchai):
    ticket = somchai.tickets.first()
    response = agent_client.patch(f"/api/v1/tickets/{ticket.pk}/", {"add_tags": ["Billing", "billing", " vip "]}, format="json")
    assert response.status_code == 200
    assert sorted(response.json()["tags"]) == ["billing", "vip"]
    assert Tag.objects.count() == 2


def test_ticket_create_with_empty_text_is_refused_whole(agent_client, somchai):
    """The first message is part of the create: text of control characters only is a
    400, and no ticket is left behind without the message it was opened with."""
    before = Ticket.objects.count()
    response = agent_client.post(
        "/api/v1/tickets/",
        {"customer": somchai.pk, "subject": "Your refund", "channel": "email", "text": "\x01\x02"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "a reply needs some text"
    assert Ticket.objects.count() == before
