"""The search documents stay right as the helpdesk changes: a reply, a new message
through the real webhook and pipeline, a rename, a new address, a merge and its undo,
an erasure (after which nothing the customer said or was called is found), and the
repair command."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.channels_app.twilio.twilio_posts import post_twilio, sms_params
from tests.factories import deliver
from tickets.models import CustomerMerge, Message, TicketSearchDocument
from tickets.services.contacts import customer_update, identity_add
from tickets.services.customers import customer_merge, customer_merge_undo
from tickets.services.privacy import customer_erase
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db


def found(client: Client, query: str, **params) -> set[int]:
    response = client.get("/console/", {"view": "all", "q": query, **params})
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(r'data-testid="ticket-row" data-ticket-id="(\d+)"', response.content.decode())}


def test_a_tracking_number_inside_a_message_and_a_thai_word_inside_a_sentence(agent_browser):
    parcel = deliver("email", "malee@example.com", "Dear team,\nparcel TH88412399X is late.", subject="Late").ticket
    thai = deliver("line", "line:U1234567890abcdef", "สวัสดีค่ะ ขอใบเสร็จค่าบริการเดือนมีนาคมด้วยนะคะ").ticket
    assert found(agent_browser, "TH88412399X") == {parcel.pk}
    assert found(agent_browser, "ใบเสร็จ") == {thai.pk}
    assert found(agent_browser, "ค่าบริการ มีนาคม") == {thai.pk}
    assert found(agent_browser, "ใบเสร็จ เมษายน") == set()


def test_every_phone_spelling_and_a_phone_written_in_a_message(agent_browser):
    own = deliver("sms", "+66812345678", "hello").ticket
    mentioned = deliver("email", "kit@example.com", "Please call me back on 089-111-2233.", subject="Call").ticket
    for spelling in ["0812345678", "+66 81 234 5678", "66812345678", "081 234 5678"]:
        assert found(agent_browser, spelling) == {own.pk}, spelling
    for spelling in ["0891112233", "+66 89 111 2233", "66891112233"]:
        assert found(agent_browser, spelling) == {mentioned.pk}, spelling
    assert found(agent_browser, f"HD-{mentioned.pk}") == {mentioned.pk}


def test_a_reply_and_an_inbound_message_through_the_webhook_update_the_document(agent_browser, agent):
    response = post_twilio(Client(), "/webhooks/twilio/sms/", sms_params("my order is late", sid="SM" + "1" * 32))
    assert response.status_code == 200
    ticket = Message.objects.get().ticket
    assert found(agent_browser, "order late") == {ticket.pk}
    reply_create(ticket=ticket, author=agent, text="Refund RF-20931 is on its way", channel="sms")
    assert found(agent_browser, "RF-20931") == {ticket.pk}
    post_twilio(Client(), "/webhooks/twilio/sms/", sms_params("ได้รับเงินคืนแล้วครับ ขอบคุณ", sid="SM" + "2" * 32))
    assert Message.objects.filter(ticket=ticket).count() == 3
    assert found(agent_browser, "เงินคืน") == {ticket.pk}
    # The first words are still there: the message appended, it did not replace.
    assert found(agent_browser, "order") == {ticket.pk}


def test_a_renamed_customer_and_a_new_address_are_found(agent_browser):
    ticket = deliver("sms", "+66812345678", "hello", sender_name="Somchai").ticket
    assert found(agent_browser, "somchai") == {ticket.pk}
    customer_update(customer=ticket.customer, name="สมหญิง ใจดี", tier="standard", language="th", notes="")
    assert found(agent_browser, "somchai") == set()
    assert found(agent_browser, "สมหญิง") == {ticket.pk}
    identity_add(customer=ticket.customer, address="Somying.J@Example.com")
    assert found(agent_browser, "somying") == {ticket.pk}


def test_a_merged_customers_tickets_are_found_under_the_surviving_customer(agent_browser):
    kept = deliver("email", "malee@example.com", "hi", subject="Hi", sender_name="Malee Jaidee").ticket
    moved = deliver("sms", "+66899990000", "parcel late", sender_name="").ticket
    assert found(agent_browser, "malee parcel") == set()
    customer_merge(source=moved.customer, target=kept.customer)
    assert found(agent_browser, "malee") == {kept.pk, moved.pk}
    assert found(agent_browser, "malee parcel") == {moved.pk}
    customer_merge_undo(merge=CustomerMerge.objects.get())
    assert found(agent_browser, "malee") == {kept.pk}


def test_an_erased_customers_words_are_no_longer_found(agent_browser, supervisor):
    erased = deliver("email", "secret.person@example.com", "my passport AB1234567 is attached", subject="Visa",
                     sender_name="Secret Person").ticket  # fmt: skip
    other = deliver("sms", "+66812345678", "passport renewal question").ticket
    assert found(agent_browser, "AB1234567") == {erased.pk}
    customer_erase(customer=erased.customer, actor=supervisor)
    for query in ["AB1234567", "secret", "visa", "secret.person@example.com", "example"]:
        assert found(agent_browser, query) == set(), query
    assert found(agent_browser, "passport") == {other.pk}


def test_the_repair_command_rebuilds_every_document(agent_browser):
    ticket = deliver("sms", "+66812345678", "tracking TH555").ticket
    TicketSearchDocument.objects.all().delete()
    assert found(agent_browser, "TH555") == set()
    call_command("rebuild_search_documents", verbosity=0)
    assert found(agent_browser, "TH555") == {ticket.pk}
    # A message on a ticket that lost its document gives it a whole one back.
    TicketSearchDocument.objects.all().delete()
    deliver("sms", "+66812345678", "second message")
    assert found(agent_browser, "TH555 second") == {ticket.pk}


@pytest.mark.parametrize("query", ["parcel", "0812345670", "HD-1", "พัสดุ"])
def test_a_search_page_costs_the_same_number_of_queries_however_many_match(agent_browser, query):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            agent_browser.get("/console/", {"view": "all", "q": query})
        return len(queries)

    deliver("sms", "+66812345670", "parcel พัสดุ")
    count()  # the first page fills the cached staff and teams
    before = count()
    for n in range(12):
        deliver("sms", f"+6681000010{n:02d}", "parcel พัสดุ")
        deliver("email", f"p{n}@example.com", "another parcel พัสดุ", subject="Parcel")
    assert count() == before
