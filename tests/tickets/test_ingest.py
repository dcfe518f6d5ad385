import threading
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import deliver, deliver_verified_chat, inbound
from tickets.inbound import InboundAttachment
from tickets.models import Customer, InboundEvent, Message, Ticket
from tickets.services import pipeline_messages
from tickets.services.ingest import ingest
from tickets.services.replies import reply_create
from tickets.services.tickets import subject_token, ticket_set_status

pytestmark = pytest.mark.django_db


def test_one_person_on_four_channels_is_one_customer_with_one_timeline(agent_client):
    deliver("email", "Somchai.J@Example.com", "Email about my order", sender_name="Somchai Jaidee", subject="Order 1042")
    deliver("sms", "+66 81 234 5678", "SMS: any news?", sender_extra_addresses=[])
    deliver("whatsapp", "whatsapp:+66812345678", "WhatsApp: hello again")
    # The chat visitor gives their email in the pre-chat form, and an agent confirms it.
    deliver_verified_chat("chat:visitor-7f3a", "Chat: still waiting", addresses=["somchai.j@example.com"])
    # SMS and WhatsApp share the phone, a customer of its own until an agent merges it.
    deliver("chat", "chat:visitor-7f3a", "Chat: my phone is 0812345678")

    assert Customer.objects.filter(merged_into__isnull=True).count() == 2  # email+chat, and phone
    email_customer = Customer.objects.get(identities__address="somchai.j@example.com")
    phone_customer = Customer.objects.get(identities__address="+66812345678")
    response = agent_client.post(f"/api/v1/customers/{phone_customer.pk}/merge/", {"into": email_customer.pk})
    assert response.status_code == 200

    assert Customer.objects.filter(merged_into__isnull=True).count() == 1
    timeline = agent_client.get(f"/api/v1/customers/{email_customer.pk}/timeline/").json()["results"]
    assert {item["channel"] for item in timeline} == {"email", "sms", "whatsapp", "chat"}
    assert [item["text"] for item in timeline][-1] == "Email about my order"
    for address in ["+66 81 234 5678", "0812345678", "whatsapp:+66812345678", "Somchai.J@Example.com"]:
        found = agent_client.get("/api/v1/customers/", {"identity": address}).json()["results"]
        assert [c["id"] for c in found] == [email_customer.pk], address


def test_chat_visitor_who_gives_a_known_email_only_claims_it_until_it_is_confirmed():
    first = deliver("email", "ann@example.com", "hi")
    chat = deliver("chat", "chat:v-1", "hello from chat", sender_extra_addresses=["ANN@example.com"])
    assert chat.message.customer_id != first.message.customer_id
    confirmed = deliver_verified_chat("chat:v-1", "hello again", addresses=["ANN@example.com"])
    assert confirmed.message.customer_id == first.message.customer_id


def test_redelivery_is_stored_once():
    msg = inbound("sms", "+66812345678", "hello", external_id="SM123")
    first = ingest(msg)
    second = ingest(inbound("sms", "+66812345678", "hello", external_id="SM123"))
    assert first.status == "processed"
    assert second.status == "duplicate"
    assert Message.objects.filter(external_id="SM123").count() == 1
    assert InboundEvent.objects.filter(external_id="SM123").count() == 2


@pytest.mark.django_db(transaction=True)
def test_racing_redeliveries_store_one_message():
    barrier = threading.Barrier(4)
    results = []

    def deliver_once():
        try:
            barrier.wait()
            results.append(ingest(inbound("whatsapp", "whatsapp:+66899999999", "race", external_id="SMrace")).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Message.objects.filter(external_id="SMrace").count() == 1
    assert Customer.objects.count() == 1
    assert sorted(results).count("processed") == 1
    assert set(results) <= {"processed", "duplicate"}


def test_crash_inside_processing_keeps_the_event_for_replay():
    with mock.patch.object(pipeline_messages, "_store_attachments", side_effect=RuntimeError("disk full")):
        result = deliver("sms", "+66811111111", "please call me", external_id="SMcrash")
    assert result.status == "failed"
    event = InboundEvent.objects.get(external_id="SMcrash")
    assert "disk full" in event.error
    assert not Message.objects.filter(external_id="SMcrash").exists()

    call_command("replay_inbound_events")

    event.refresh_from_db()
    assert event.status == "processed"
    assert Message.objects.get(external_id="SMcrash").text == "please call me"


def test_email_reply_threads_by_in_reply_to_and_reopens_resolved_ticket(agent):
    first = deliver("email", "lek@example.com", "my parcel is late", subject="Parcel", external_id="<a1@mail>")
    ticket = first.ticket
    reply_create(ticket=ticket, author=agent, text="It ships today", channel="email")
    ticket.refresh_from_db()
    ticket_set_status(ticket=ticket, status="resolved")

    again = deliver("email", "lek@example.com", "still not here", subject="Re: Parcel", in_reply_to="<a1@mail>", external_id="<a2@mail>")
    ticket.refresh_from_db()
    assert again.ticket.pk == ticket.pk
    assert ticket.status == "open"
    assert ticket.reopen_count == 1


def test_auto_reply_does_not_reopen_a_resolved_ticket():
    first = deliver("email", "nok@example.com", "question", subject="Refund", external_id="<q1@mail>")
    ticket = first.ticket
    ticket_set_status(ticket=ticket, status="resolved")
    ooo = deliver(
        "email", "nok@example.com", "I am out of office", subject="Auto: Refund",
        in_reply_to="<q1@mail>", is_auto_reply=True, external_id="<ooo@mail>",
    )  # fmt: skip
    ticket.refresh_from_db()
    assert ooo.ticket.pk == ticket.pk
    assert ticket.status == "resolved"
    assert ticket.reopen_count == 0
    assert Ticket.objects.count() == 1


def test_subject_token_threads_when_headers_are_gone():
    first = deliver("email", "pim@example.com", "hello", subject="Invoice")
    token = subject_token(first.ticket)
    reply = deliver("email", "pim@example.com", "answer", subject=f"RE: edited subject {token}")
    assert reply.ticket.pk == first.ticket.pk


def test_a_strangers_reply_never_lands_in_another_customers_ticket():
    first = deliver("email", "owner@example.com", "hello", subject="Private", external_id="<p1@mail>")
    token = subject_token(first.ticket)
    stranger = deliver("email", "stranger@example.com", "let me in", subject=f"Re: {token}", in_reply_to="<p1@mail>")
    assert stranger.ticket.pk != first.ticket.pk
    assert stranger.ticket.customer_id != first.ticket.customer_id


def test_sms_continues_the_open_ticket_on_the_channel_and_pending_becomes_open():
    first = deliver("sms", "0899998888", "one")
    ticket_set_status(ticket=first.ticket, status="pending")
    second = deliver("sms", "+66 89 999 8888", "two")
    assert second.ticket.pk == first.ticket.pk
    second.ticket.refresh_from_db()
    assert second.ticket.status == "open"
    assert second.ticket.pending_since is None


def test_bounce_marks_the_outbound_message_failed_and_opens_no_ticket(agent):
    first = deliver("email", "gone@example.com", "hi", subject="Hi")
    reply = reply_create(ticket=first.ticket, author=agent, text="answer", channel="email")
    Message.objects.filter(pk=reply.pk).update(external_id="<out-1@helpdesk>", delivery_status="sent")
    bounce = deliver(
        "email", "MAILER-DAEMON@mx.example.com", "Delivery failed", is_bounce=True,
        bounced_message_ids=["<out-1@helpdesk>"], bounce_reason="550 5.1.1 user unknown",
    )  # fmt: skip
    reply.refresh_from_db()
    assert bounce.message is None
    assert reply.delivery_status == "failed"
    assert "user unknown" in reply.delivery_error
    assert Ticket.objects.count() == 1
    assert not Customer.objects.filter(identities__address__startswith="mailer-daemon").exists()


def test_nul_bytes_and_hostile_html_are_cleaned():
    result = deliver(
        "email", "x@example.com", "remove\x00 null\x00", subject="Hi\x00",
        html='<p onclick="steal()">hi<script>alert(1)</script><a href="javascript:alert(1)">x</a></p>',
    )  # fmt: skip
    message = result.message
    assert message.text == "remove null"
    assert "script" not in message.html and "onclick" not in message.html and "javascript" not in message.html
    assert "<p>hi" in message.html


def test_attachments_are_stored_and_oversized_ones_dropped(settings):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 10
    result = deliver(
        "email", "files@example.com", "see attached",
        attachments=[
            InboundAttachment(filename="../../etc/passwd", content_type="text/plain", content=b"small"),
            InboundAttachment(filename="big.bin", content_type="application/octet-stream", content=b"x" * 11),
        ],
    )  # fmt: skip
    attachments = list(result.message.attachments.all())
    assert [(a.filename, a.size) for a in attachments] == [("passwd", 5)]
    assert attachments[0].file.read() == b"small"
    assert result.message.metadata["dropped_attachments"] == ["big.bin (11 bytes)"]


def test_closed_ticket_is_never_continued():
    first = deliver("sms", "+66800000001", "one")
    ticket_set_status(ticket=first.ticket, status="closed")
    second = deliver("sms", "+66800000001", "two")
    assert second.ticket.pk != first.ticket.pk


def test_a_chat_visitor_claiming_someones_email_never_joins_their_open_chat():
    owner = deliver("chat", "chat:owner-visitor", "my account number is 1234", sender_extra_addresses=["owner@example.com"])
    claimant = deliver("chat", "chat:other-visitor", "hi", sender_extra_addresses=["owner@example.com"])
    assert claimant.message.customer_id != owner.message.customer_id  # two visitors, two provisional customers
    assert claimant.ticket.pk != owner.ticket.pk
    # The owner's own session continues their conversation.
    again = deliver("chat", "chat:owner-visitor", "any news?", ticket_id=owner.ticket.pk)
    assert again.ticket.pk == owner.ticket.pk
