"""Requests and replies from the portal go through the one pipeline; customers see
the public conversation of their own tickets."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kb.models import DeflectionEvent
from tests.factories import deliver
from tickets.inbound import InboundAttachment
from tickets.models import Channel, Direction, InboundEvent, Message, Ticket
from tickets.selectors.timeline import customer_timeline
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db


def _new_request(client: Client, **fields):
    data = {"request_uuid": str(uuid.uuid4()), "subject": "Refund for order 1182", "text": "I returned it last week."}
    data.update(fields)
    return client.post("/portal/requests/new/", data), data


def test_a_request_goes_through_the_pipeline(alice_client, alice):
    response, data = _new_request(alice_client)
    ticket = Ticket.objects.exclude(subject="Where is my parcel?").get(customer=alice)
    assert response.status_code == 302 and response["Location"] == f"/portal/tickets/{ticket.pk}/"
    event = InboundEvent.objects.get(external_id=f"portal:{data['request_uuid']}")
    assert event.status == InboundEvent.Status.PROCESSED
    assert event.payload["customer_id"] == alice.pk
    message = customer_timeline(customer_id=alice.pk).first()
    assert (message.ticket_id, message.direction, message.channel) == (ticket.pk, Direction.IN, Channel.EMAIL)
    assert message.text == "I returned it last week."
    page = alice_client.get(response["Location"]).content.decode()
    assert "Refund for order 1182" in page and "I returned it last week." in page


def test_a_double_submit_is_one_request(alice_client, alice):
    first, data = _new_request(alice_client)
    second = alice_client.post("/portal/requests/new/", data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Ticket.objects.filter(customer=alice).count() == 2
    assert Message.objects.filter(external_id=f"portal:{data['request_uuid']}").count() == 1
    statuses = sorted(
        InboundEvent.objects.filter(external_id=f"portal:{data['request_uuid']}").values_list("status", flat=True)
    )
    assert statuses == [InboundEvent.Status.DUPLICATE, InboundEvent.Status.PROCESSED]


def test_a_customer_known_by_phone_only_writes_on_sms(bob_client, bob):
    response, data = _new_request(bob_client)
    assert Message.objects.get(external_id=f"portal:{data['request_uuid']}").channel == Channel.SMS


def test_a_guest_request_is_like_an_email_from_that_address(alice):
    client = Client()
    response, data = _new_request(client, name="Alice A.", email="ALICE@example.com")
    assert response.status_code == 302 and response["Location"] == "/portal/requests/sent/"
    message = Message.objects.get(external_id=f"portal:{data['request_uuid']}")
    assert message.customer_id == alice.pk and message.channel == Channel.EMAIL
    assert message.ticket.reference in client.get("/portal/requests/sent/").content.decode()
    # A guest sees no ticket page.
    assert client.get(f"/portal/tickets/{message.ticket_id}/").status_code == 302


def test_a_guest_needs_a_valid_email(db):
    response, _ = _new_request(Client(), name="X", email="not-an-email")
    assert response.status_code == 400
    assert not InboundEvent.objects.exists()


def test_a_reply_with_an_attachment_lands_on_the_ticket(alice_client, alice):
    ticket = alice.tickets.get()
    upload = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    response = alice_client.post(
        f"/portal/tickets/{ticket.pk}/",
        {"request_uuid": str(uuid.uuid4()), "text": "Here is the receipt", "attachments": [upload]},
    )
    assert response.status_code == 302 and response["Location"] == f"/portal/tickets/{ticket.pk}/"
    message = ticket.messages.order_by("-id").first()
    assert (message.direction, message.channel, message.text) == (Direction.IN, Channel.EMAIL, "Here is the receipt")
    attachment = message.attachments.get()
    download = alice_client.get(f"/portal/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 receipt"
    assert 'attachment; filename="receipt.pdf"' in download["Content-Disposition"]
    assert "receipt.pdf" in alice_client.get(f"/portal/tickets/{ticket.pk}/").content.decode()


def test_a_reply_to_an_sms_ticket_continues_on_sms(bob_client, bob):
    ticket = bob.tickets.get()
    bob_client.post(f"/portal/tickets/{ticket.pk}/", {"request_uuid": str(uuid.uuid4()), "text": "Any news?"})
    message = ticket.messages.order_by("-id").first()
    assert (message.channel, message.text, message.ticket_id) == (Channel.SMS, "Any news?", ticket.pk)


def test_too_many_attachments_or_empty_reply_is_a_form_error(alice_client, alice):
    ticket = alice.tickets.get()
    files = [SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(6)]
    response = alice_client.post(
        f"/portal/tickets/{ticket.pk}/", {"request_uuid": str(uuid.uuid4()), "text": "x", "attachments": files}
    )
    assert response.status_code == 400 and "Attach at most 5 files." in response.content.decode()
    response = alice_client.post(f"/portal/tickets/{ticket.pk}/", {"request_uuid": "not-a-uuid", "text": ""})
    assert response.status_code == 400
    assert ticket.messages.count() == 1


def test_the_conversation_shows_public_messages_only(alice_client, alice, agent):
    ticket = alice.tickets.get()
    agent.first_name, agent.last_name = "Somchai", "Agent"
    agent.save()
    reply_create(ticket=ticket, author=agent, text="It is on its way.")
    reply_create(ticket=ticket, author=agent, text="SECRET note: customer is grumpy", is_note=True)
    reply_create(ticket=ticket, author=None, text="AUTOMATIC acknowledgement", is_automatic=True)
    deliver(
        "email",
        "alice@example.com",
        "<b>bold</b>",
        html="<p>Thanks <script>alert(1)</script><b>a lot</b></p>",
        subject=f"Re: {ticket.subject}",
        ticket_id=ticket.pk,
    )
    page = alice_client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "It is on its way." in page and "Somchai Agent" in page
    assert "SECRET" not in page and "AUTOMATIC" not in page
    assert "<b>a lot</b>" in page and "<script>alert(1)</script>" not in page


def test_customer_text_is_escaped(alice_client, alice):
    deliver("email", "alice@example.com", "<img src=x onerror=alert(1)>", subject="<script>x</script>")
    ticket = alice.tickets.order_by("-id").first()
    page = alice_client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "<img src=x onerror" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>x</script>" not in alice_client.get("/portal/tickets/").content.decode()


def test_the_ticket_list_shows_every_channel_with_constant_queries(alice_client, alice, django_assert_max_num_queries):
    deliver("whatsapp", "whatsapp:+66811111111", "someone else's message")
    # Alice also wrote on SMS and in the chat; the portal shows every channel.
    deliver("sms", "+66822222222", "sms from alice", customer_id=alice.pk)
    deliver("chat", "chat:visitor-1", "chat from alice", customer_id=alice.pk)
    with django_assert_max_num_queries(12):
        page = alice_client.get("/portal/tickets/")
    html = page.content.decode()
    assert html.count('class="portal-ticket"') == alice.tickets.count() == 3
    assert "sms from alice" in html and "chat from alice" in html and "someone else" not in html
    for n in range(3, 10):
        deliver("email", "alice@example.com", f"mail {n}", subject=f"Question {n}")
    with django_assert_max_num_queries(12):
        page = alice_client.get("/portal/tickets/")
    assert page.content.decode().count('class="portal-ticket"') == 10
    for n in range(10, 30):
        deliver("email", "alice@example.com", f"mail {n}", subject=f"Question {n}")
    with django_assert_max_num_queries(13):
        first = alice_client.get("/portal/tickets/").content.decode()
    second = alice_client.get("/portal/tickets/?page=2").content.decode()
    assert first.count('class="portal-ticket"') == 25 and second.count('class="portal-ticket"') == 5
    assert "Question 29" in first and "Where is my parcel?" in second and "Page 2 of 2" in second


def test_the_conversation_has_constant_queries(alice_client, alice, agent, django_assert_max_num_queries):
    ticket = alice.tickets.get()
    for n in range(5):
        reply_create(ticket=ticket, author=agent, text=f"reply {n}")
        deliver(
            "email",
            "alice@example.com",
            f"answer {n}",
            subject="Re",
            ticket_id=ticket.pk,
            attachments=[InboundAttachment(filename=f"{n}.txt", content_type="text/plain", content=b"x")],
        )
    with django_assert_max_num_queries(14):
        page = alice_client.get(f"/portal/tickets/{ticket.pk}/")
    assert page.content.decode().count("portal-bubble-body") == 11


def test_live_statuses_are_served_as_json(alice_client, alice, agent):
    ticket = alice.tickets.get()
    ticket_set_status(ticket=ticket, status=Ticket.Status.PENDING, actor=agent)
    data = alice_client.get("/portal/tickets/status.json").json()
    assert data == {
        "tickets": [
            {
                "id": ticket.pk,
                "status": "pending",
                "status_label": "Pending",
                "updated_at": data["tickets"][0]["updated_at"],
            }
        ]
    }


def test_submissions_are_rate_limited(alice_client, alice, settings):
    settings.PORTAL_RATE_LIMITS = {"submit": (2, 3600)}
    assert _new_request(alice_client)[0].status_code == 302
    assert _new_request(alice_client)[0].status_code == 302
    response, data = _new_request(alice_client)
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    assert not InboundEvent.objects.filter(external_id=f"portal:{data['request_uuid']}").exists()


def test_csrf_is_enforced_on_requests_and_replies(alice):
    from tests.kb.portal.conftest import signed_in

    client = signed_in(alice, enforce_csrf_checks=True)
    ticket = alice.tickets.get()
    assert _new_request(client)[0].status_code == 403
    assert (
        client.post(f"/portal/tickets/{ticket.pk}/", {"request_uuid": str(uuid.uuid4()), "text": "x"}).status_code
        == 403
    )
    assert Client(enforce_csrf_checks=True).post("/portal/suggestions/opened/", {"article": "1"}).status_code == 403
    assert InboundEvent.objects.count() == 1


def test_a_closed_ticket_offers_a_new_request(alice_client, alice, agent):
    ticket = alice.tickets.get()
    ticket_set_status(ticket=ticket, status=Ticket.Status.CLOSED, actor=agent)
    page = alice_client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "This request is closed." in page and 'name="text"' not in page


def test_deflection_records_viewed_then_submitted(alice_client, alice, agent):
    from kb.models import Category
    from kb.services import article_create

    category = Category.objects.create(slug="orders", name_en="Orders", name_th="คำสั่งซื้อ")
    article = article_create(
        title="How to track your parcel",
        body="Use the tracking number from your receipt.",
        lang="en",
        category=category,
        author=agent,
        published=True,
    )
    found = alice_client.get("/portal/suggest/", {"q": "track parcel"}).json()["results"]
    assert found and found[0]["id"] == article.pk and found[0]["url"] == article.get_absolute_url()
    assert "<" not in found[0]["snippet"]
    assert alice_client.post("/portal/suggestions/opened/", {"article": article.pk, "q": "track parcel"}).json() == {
        "recorded": True
    }
    event = DeflectionEvent.objects.get()
    assert event.outcome == DeflectionEvent.Outcome.VIEWED
    _new_request(alice_client)
    event.refresh_from_db()
    assert event.outcome == DeflectionEvent.Outcome.SUBMITTED and event.ticket.customer_id == alice.pk


def test_suggestions_are_rate_limited(db, settings):
    settings.PORTAL_RATE_LIMITS = {"search": (2, 60)}
    client = Client()
    assert client.get("/portal/suggest/", {"q": "parcel"}).status_code == 200
    assert client.get("/portal/suggest/", {"q": "parcel"}).status_code == 200
    response = client.get("/portal/suggest/", {"q": "parcel"})
    assert response.status_code == 429 and "Too many searches" in response.json()["error"]


def test_an_unknown_suggestion_is_404(db):
    assert Client().post("/portal/suggestions/opened/", {"article": "999"}).status_code == 404
    assert Client().post("/portal/suggestions/opened/", {"article": "x"}).status_code == 400


def test_portal_pages_carry_the_chat_widget_and_support_hours(db):
    page = Client().get("/portal/").content.decode()
    assert "/chat/embed.js" in page
    assert "When we answer" in page and "09:00–18:00" in page
    assert "We answer new requests within 4 hours of opening hours." in page


def test_a_guest_who_reads_a_suggestion_and_leaves_is_deflected(db, agent):
    from kb.models import Category
    from kb.services import article_create, deflection_sweep

    category = Category.objects.create(slug="billing", name_en="Billing")
    article = article_create(
        title="Why was I charged twice?", body="A pending charge disappears in 3 days.", lang="en",
        category=category, author=agent, published=True,
    )  # fmt: skip
    guest = Client()
    assert guest.get("/portal/suggest/", {"q": "charged twice"}).json()["results"][0]["id"] == article.pk
    guest.post("/portal/suggestions/opened/", {"article": article.pk, "q": "charged twice"})
    assert deflection_sweep(older_than_minutes=0) == 1
    assert DeflectionEvent.objects.get().outcome == DeflectionEvent.Outcome.DEFLECTED
    assert not Ticket.objects.exists()
