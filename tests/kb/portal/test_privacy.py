"""The customer's data export, and erasure that keeps the KPI facts."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client

from tests.factories import deliver, deliver_verified_chat, make_user
from tests.kb.portal.conftest import signed_in
from tickets.inbound import InboundAttachment
from tickets.models import (
    Attachment,
    Channel,
    ContactIdentity,
    Customer,
    InboundEvent,
    Message,
    Notification,
    Role,
    Ticket,
)
from tickets.models.surveys import Survey
from tickets.services.privacy import ERASED_NAME, customer_erase, erased_visitor_address
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(alice, agent):
    """Alice on three channels, with an agent's replies, an attachment, a resolution
    and a survey answer."""
    ticket = alice.tickets.get()
    reply_create(ticket=ticket, author=agent, text="It left our warehouse today.")
    deliver(
        "email", "alice@example.com", "Thanks! Photo attached.", subject=f"Re: {ticket.subject}", ticket_id=ticket.pk,
        attachments=[InboundAttachment(filename="box.jpg", content_type="image/jpeg", content=b"jpeg-bytes")],
    )  # fmt: skip
    ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    # The chat pre-form gives her email and phone, confirmed: SMS and WhatsApp from that phone are Alice too.
    deliver_verified_chat("chat:visitor-7", "Alice in the chat", addresses=["alice@example.com", "0819998888"])
    deliver("sms", "+66 81 999 8888", "Alice here, by SMS")
    deliver("whatsapp", "whatsapp:+66819998888", "and on WhatsApp")
    Survey.objects.create(
        ticket=ticket,
        customer=alice,
        resolution_number=1,
        kind="csat",
        channel=Channel.EMAIL,
        score=5,
        comment="Great help",
    )
    sms_ticket = Ticket.objects.get(customer=alice, channel="sms")
    reply_create(ticket=sms_ticket, author=agent, text="Note about Alice", is_note=True)
    Notification.objects.create(
        user=agent, ticket=sms_ticket, kind="mention", text="Nok mentioned you: Note about Alice"
    )
    return ticket


def test_export_json_contains_the_customers_data(alice_client, alice, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        response = alice_client.get("/portal/privacy/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="my-data-{alice.pk}.json"'
    data = json.loads(response.content)
    assert data["customer"]["name"] == "Alice"
    assert {(i["kind"], i["address"]) for i in data["identities"]} == {
        ("email", "alice@example.com"), ("chat", "visitor-7"), ("phone", "+66819998888"),
    }  # fmt: skip
    assert len(data["tickets"]) == 4
    parcel = next(t for t in data["tickets"] if t["id"] == history.pk)
    assert [m["text"] for m in parcel["messages"]] == [
        "My parcel is late",
        "It left our warehouse today.",
        "Thanks! Photo attached.",
    ]
    assert parcel["messages"][2]["attachments"] == [{"filename": "box.jpg", "content_type": "image/jpeg", "size": 10}]
    assert data["surveys"][0]["score"] == 5 and data["surveys"][0]["comment"] == "Great help"
    assert "Note about Alice" not in response.content.decode()


def test_export_html_is_readable_and_downloadable(alice_client, history):
    page = alice_client.get("/portal/privacy/export.html")
    html = page.content.decode()
    assert (
        page.status_code == 200
        and "It left our warehouse today." in html
        and "box.jpg" in html
        and "Great help" in html
    )
    download = alice_client.get("/portal/privacy/export.html?download=1")
    assert download["Content-Disposition"].startswith("attachment;")


def _kpi_facts():
    tickets = list(
        Ticket.objects.order_by("pk").values_list(
            "pk", "status", "channel", "created_at", "first_inbound_at", "first_response_s", "agent_reply_count",
            "resolved_at", "resolution_s", "reopen_count", "customer_id",
        )
    )  # fmt: skip
    messages = list(
        Message.objects.order_by("pk").values_list(
            "pk", "ticket_id", "direction", "channel", "created_at", "is_automatic"
        )
    )
    surveys = list(Survey.objects.values_list("kind", "score", "answered_at"))
    return tickets, messages, surveys


def test_erasure_removes_personal_data_and_keeps_kpi_facts(alice, bob, history):
    alice_client = signed_in(alice)
    file_names = [a.file.name for a in Attachment.objects.filter(message__customer=alice)]
    assert file_names and all(default_storage.exists(name) for name in file_names)
    before = _kpi_facts()
    bob_message_texts = list(Message.objects.filter(customer=bob).values_list("text", flat=True))

    result = customer_erase(customer=alice, actor=None)

    assert result.first_erasure and result.attachments == 1 and result.identities == 3
    assert _kpi_facts() == before
    alice.refresh_from_db()
    assert alice.name == ERASED_NAME and alice.erased_at is not None
    # Of her chat visitor id only a digest is kept, so that the widget's old token is refused.
    assert list(ContactIdentity.objects.filter(customer=alice).values_list("kind", "address")) == [
        ("chat", erased_visitor_address("visitor-7"))
    ]
    for message in Message.objects.filter(customer=alice):
        assert (message.text, message.html, message.subject) == ("", "", "") and message.metadata == {"erased": True}
    assert not Attachment.objects.filter(message__customer=alice).exists()
    assert not any(default_storage.exists(name) for name in file_names)
    assert set(Ticket.objects.filter(customer=alice).values_list("subject", flat=True)) == {"(erased)"}
    assert list(Notification.objects.values_list("text", "kind")) == [("(erased)", "mention")]
    assert Survey.objects.get(customer=alice).comment == "" and Survey.objects.get(customer=alice).score == 5
    dump = json.dumps(list(InboundEvent.objects.filter(messages__customer=alice).values_list("payload", flat=True)))
    assert "alice" not in dump.lower() and "parcel" not in dump and "+6681999" not in dump
    assert not get_user_model().objects.get(pk=alice.user_id).is_active
    # Her session no longer signs anyone in; her address no longer finds her.
    assert alice_client.get("/portal/tickets/").status_code == 302
    assert not Customer.objects.filter(identities__address="alice@example.com").exists()
    # Bob is untouched.
    assert list(Message.objects.filter(customer=bob).values_list("text", flat=True)) == bob_message_texts


def test_erasure_scrubs_duplicate_and_failed_raw_events(alice, history):
    from tickets.services.ingest import inbound_event_record

    first = Message.objects.filter(customer=alice, direction="in").first()
    redelivery = deliver("email", "alice@example.com", first.text, external_id=first.external_id)
    assert redelivery.status == InboundEvent.Status.DUPLICATE
    from tests.factories import inbound

    stuck = inbound_event_record(
        inbound("email", "Alice@Example.com", "never processed", subject="stuck"), raw=b"From: alice"
    )
    InboundEvent.objects.filter(pk=stuck.pk).update(status=InboundEvent.Status.FAILED)
    customer_erase(customer=alice, actor=None)
    for event in InboundEvent.objects.filter(pk__in=[redelivery.event.pk, stuck.pk]):
        assert event.payload["erased"] is True and "never processed" not in json.dumps(event.payload)
        assert event.raw is None
    assert InboundEvent.objects.get(pk=stuck.pk).status == InboundEvent.Status.IGNORED


def test_erasure_is_idempotent(alice, history):
    customer_erase(customer=alice, actor=None)
    erased_at = Customer.objects.get(pk=alice.pk).erased_at
    facts = _kpi_facts()
    again = customer_erase(customer=alice, actor=None)
    assert not again.first_erasure and (again.attachments, again.identities) == (0, 0)
    assert Customer.objects.get(pk=alice.pk).erased_at == erased_at
    assert _kpi_facts() == facts


def test_a_new_contact_after_erasure_is_a_new_customer(alice, history):
    customer_erase(customer=alice, actor=None)
    result = deliver("email", "alice@example.com", "hello again", subject="New question")
    assert result.message.customer_id != alice.pk


def test_erase_customer_command(alice, history, capsys):
    call_command("erase_customer", str(alice.pk))
    assert "erased" in capsys.readouterr().out
    assert Customer.objects.get(pk=alice.pk).name == ERASED_NAME
    call_command("erase_customer", str(alice.pk))
    assert "already erased" in capsys.readouterr().out


def test_admin_action_asks_then_erases(alice, history, roles):
    admin_user = make_user("root", roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    url = "/admin/tickets/customer/"
    confirm = client.post(url, {"action": "erase", "_selected_action": [alice.pk]})
    assert confirm.status_code == 200 and "Erase these customers?" in confirm.content.decode()
    assert Customer.objects.get(pk=alice.pk).erased_at is None
    done = client.post(url, {"action": "erase", "_selected_action": [alice.pk], "confirm_erase": "yes"})
    assert done.status_code == 302
    assert Customer.objects.get(pk=alice.pk).erased_at is not None
