"""Contacts in the console: list and search, edit, addresses, merging two customers
and undoing it; and starting a conversation on email, SMS or a WhatsApp template."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import deliver
from tickets.models import ContactIdentity, Customer, CustomerMerge, Message, Ticket, TicketActivity
from tickets.services.customers import customer_merge, customer_merge_undo

pytestmark = pytest.mark.django_db


def test_the_list_finds_customers_by_name_and_any_address_spelling(agent_browser):
    malee = deliver("email", "malee@example.com", "hi", subject="Hi", sender_name="Malee Jaidee").ticket.customer
    somchai = deliver("sms", "+66812345678", "hello", sender_name="Somchai").ticket.customer
    page = agent_browser.get("/console/contacts/").content.decode()
    assert "Malee Jaidee" in page and "+66812345678" in page
    for query, expected in [("malee", malee), ("0812345678", somchai), ("+66 81 234 5678", somchai), ("MALEE@EXAMPLE.COM", malee)]:
        ids = re.findall(r'data-testid="contact-row" data-customer-id="(\d+)"', agent_browser.get("/console/contacts/", {"q": query}).content.decode())
        assert ids == [str(expected.pk)], query


def test_the_list_costs_the_same_with_more_contacts(agent_browser):
    deliver("sms", "+66810000001", "one")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert agent_browser.get("/console/contacts/").status_code == 200
        return len(queries)

    before = count()
    for n in range(2, 9):
        deliver("sms", f"+6681000000{n}", "more")
        deliver("email", f"p{n}@example.com", "more", subject="x")
    assert count() == before


def test_edit_details_and_addresses(agent_browser):
    customer = deliver("sms", "+66812345678", "hello").ticket.customer
    url = f"/console/contacts/{customer.pk}/"
    response = agent_browser.post(url, {"name": "มาลี ใจดี", "tier": "vip", "language": "th", "notes": "ลูกค้าประจำ"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.tier, customer.language) == ("มาลี ใจดี", "vip", "th")
    assert agent_browser.post(url, {"name": "x", "tier": "galaxy"}).status_code == 400
    added = agent_browser.post(f"{url}identities/", {"address": "Malee@Example.com"})
    assert added.status_code == 302
    assert ContactIdentity.objects.filter(customer=customer, kind="email", address="malee@example.com").exists()
    other = deliver("email", "someone@example.com", "hi", subject="x").ticket.customer
    taken = agent_browser.post(f"{url}identities/", {"address": "someone@example.com"})
    assert taken.status_code == 400 and "merge the two customers instead" in taken.content.decode()
    assert agent_browser.post(f"{url}identities/", {"address": "not an address"}).status_code == 400
    phone = ContactIdentity.objects.get(customer=customer, kind="phone")
    agent_browser.post(f"{url}identities/{phone.pk}/remove/")
    assert not ContactIdentity.objects.filter(pk=phone.pk).exists()
    last = ContactIdentity.objects.get(customer=other)
    agent_browser.post(f"/console/contacts/{other.pk}/identities/{last.pk}/remove/")
    assert ContactIdentity.objects.filter(pk=last.pk).exists()  # a customer keeps one address


def test_merge_then_undo_restores_both_customers_exactly(agent_browser, agent):
    email_ticket = deliver("email", "malee@example.com", "by email", subject="Invoice", sender_name="Malee").ticket
    sms_ticket = deliver("sms", "+66812345678", "by sms").ticket
    source, target = sms_ticket.customer, email_ticket.customer
    source.tier = "vip"
    source.save()
    response = agent_browser.post(f"/console/contacts/{source.pk}/merge/", {"into": "MALEE@example.com"})
    assert response.status_code == 302 and response["Location"] == f"/console/contacts/{target.pk}/"
    sms_ticket.refresh_from_db()
    target.refresh_from_db()
    assert sms_ticket.customer_id == target.pk and target.tier == "vip"
    assert set(Message.objects.filter(customer=target).values_list("ticket_id", flat=True)) == {email_ticket.pk, sms_ticket.pk}
    page = agent_browser.get(f"/console/contacts/{target.pk}/").content.decode()
    assert 'data-testid="merge-undo"' in page
    # The merged-away customer's page leads to the one it lives on in.
    assert agent_browser.get(f"/console/contacts/{source.pk}/")["Location"] == f"/console/contacts/{target.pk}/"

    merge = CustomerMerge.objects.get()
    assert agent_browser.post(f"/console/merges/{merge.pk}/undo/").status_code == 302
    source.refresh_from_db()
    target.refresh_from_db()
    sms_ticket.refresh_from_db()
    assert source.merged_into_id is None and sms_ticket.customer_id == source.pk
    assert target.tier == "standard"
    assert list(ContactIdentity.objects.filter(customer=source).values_list("address", flat=True)) == ["+66812345678"]
    assert set(Message.objects.filter(customer=source).values_list("ticket_id", flat=True)) == {sms_ticket.pk}
    assert TicketActivity.objects.filter(ticket=sms_ticket, kind="merged", data__undone=True).exists()
    # Undoing again changes nothing.
    customer_merge_undo(merge=merge, actor=agent)
    assert Customer.objects.get(pk=source.pk).merged_into_id is None


def test_merge_refusals_are_clear(agent_browser):
    customer = deliver("sms", "+66812345678", "hello").ticket.customer
    url = f"/console/contacts/{customer.pk}/merge/"
    assert "No customer has this address" in agent_browser.post(url, {"into": "nobody@example.com"}).content.decode()
    assert "cannot merge a customer into itself" in agent_browser.post(url, {"into": f"#{customer.pk}"}).content.decode()
    assert agent_browser.post("/console/merges/999999/undo/").status_code == 404


def test_an_undo_after_a_later_merge_is_refused(agent):
    a = deliver("sms", "+66810000001", "a").ticket.customer
    b = deliver("sms", "+66810000002", "b").ticket.customer
    c = deliver("sms", "+66810000003", "c").ticket.customer
    customer_merge(source=a, target=b, actor=agent)
    first = CustomerMerge.objects.get()
    customer_merge_undo(merge=first, actor=agent)
    customer_merge(source=a, target=c, actor=agent)
    assert Customer.objects.get(pk=a.pk).merged_into_id == c.pk
    assert customer_merge_undo(merge=first, actor=agent).merged_into_id == c.pk  # already undone: nothing changes


def test_starting_a_conversation_by_email_sms_and_whatsapp_template(agent_browser, agent):
    response = agent_browser.post(
        "/console/tickets/new/",
        {"to": "new.customer@example.com", "channel": "email", "subject": "Your order", "text": "Your order has shipped."},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Your order")
    assert response["Location"] == f"/console/tickets/{ticket.pk}/"
    assert ticket.agent_initiated and ticket.channel == "email" and ticket.first_response_s is None
    first = ticket.messages.get()
    assert (first.direction, first.channel, first.delivery_status, first.author) == ("out", "email", "queued", agent)

    customer = deliver("sms", "+66812345678", "old question").ticket.customer
    Ticket.objects.filter(customer=customer).update(status="resolved")
    sms = agent_browser.post(
        "/console/tickets/new/", {"to": f"#{customer.pk}", "channel": "sms", "text": "ของคุณพร้อมรับแล้วค่ะ"}
    )
    assert sms.status_code == 302
    sms_ticket = Ticket.objects.filter(customer=customer, channel="sms", agent_initiated=True).get()
    assert sms_ticket.subject == "ของคุณพร้อมรับแล้วค่ะ"
    again = agent_browser.post("/console/tickets/new/", {"to": "0812345678", "channel": "sms", "text": "again"})
    assert again.status_code == 400 and "already has an open conversation" in again.content.decode()

    template = "HX" + "a" * 32
    wa = agent_browser.post(
        "/console/tickets/new/",
        {"to": "+66812345678", "channel": "whatsapp", "text": "Your parcel arrives today", "template_sid": template,
         "template_variables": "Malee\nวันนี้"},
    )  # fmt: skip
    assert wa.status_code == 302
    sent = Message.objects.get(channel="whatsapp", direction="out")
    assert sent.metadata == {"content_sid": template, "content_variables": {"1": "Malee", "2": "วันนี้"}}
    bad = agent_browser.post(
        "/console/tickets/new/", {"to": "a@example.com", "channel": "whatsapp", "text": "x", "template_sid": "nope"}
    )
    assert bad.status_code == 400
    unreachable = agent_browser.post("/console/tickets/new/", {"to": "a@example.com", "channel": "sms", "text": "x"})
    assert "No phone number for this customer" in unreachable.content.decode()
    assert agent_browser.post("/console/tickets/new/", {"to": "a@example.com", "channel": "chat", "text": "x"}).status_code == 400
    assert agent_browser.get(f"/console/tickets/new/?customer={customer.pk}").status_code == 200
