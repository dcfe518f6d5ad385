"""Resolving senders to customers and merging customers (tickets.services.customers),
with the lookups the API builds on (tickets.selectors.customers)."""

from __future__ import annotations

import pytest

from tests.factories import deliver
from tickets.models import ContactIdentity, Customer, Message, Ticket, TicketActivity
from tickets.selectors.customers import customer_find_by_identity
from tickets.services.customers import MergeError, customer_merge, customer_resolve
from tickets.services.identities import InvalidAddress

pytestmark = pytest.mark.django_db


def test_every_spelling_of_a_phone_resolves_to_one_customer():
    first = customer_resolve(sender="+66 81 234 5678", name="สมชาย ใจดี")
    for spelling in ("0812345678", "+66812345678", "whatsapp:+66812345678", "tel:081-234-5678", "(081) 234 5678"):
        assert customer_resolve(sender=spelling).pk == first.pk, spelling
    assert list(ContactIdentity.objects.values_list("kind", "address")) == [("phone", "+66812345678")]
    assert Customer.objects.get().name == "สมชาย ใจดี"


def test_emails_are_case_folded_and_plus_addresses_stay_distinct():
    base = customer_resolve(sender="Ann Lee <Ann.Lee@Example.COM>")
    assert customer_resolve(sender="ann.lee@example.com").pk == base.pk
    plus = customer_resolve(sender="ann.lee+shop@example.com")
    assert plus.pk != base.pk
    assert ContactIdentity.objects.get(customer=plus).lookup_key == "ann.lee@example.com"
    # The base address finds its own customer first; with no base identity, the plus ones.
    assert list(customer_find_by_identity("ANN.LEE@example.com")) == [base]
    ContactIdentity.objects.filter(customer=base).delete()
    assert list(customer_find_by_identity("ann.lee@example.com")) == [plus]


def test_extra_addresses_from_the_provider_join_a_known_customer_and_attach_new_ones():
    known = customer_resolve(sender="whatsapp:+66891112222", name="วิภา")
    again = customer_resolve(sender="whatsapp:wa-parent-42", extra_addresses=["whatsapp:+66891112222", "not an address@"])
    assert again.pk == known.pk
    assert set(ContactIdentity.objects.filter(customer=known).values_list("kind", "address")) == {
        ("phone", "+66891112222"), ("whatsapp", "wa-parent-42")
    }  # fmt: skip


def test_a_chat_visitors_addresses_are_claims_not_identities():
    known = customer_resolve(sender="wipa@example.com", name="วิภา")
    chat = customer_resolve(sender="chat:v-42", extra_addresses=["WIPA@example.com", "089 111 2222"])
    assert chat.pk != known.pk
    assert set(ContactIdentity.objects.filter(customer=chat).values_list("kind", "address")) == {("chat", "v-42")}
    assert customer_resolve(sender="+66891112222").pk not in {known.pk, chat.pk}


def test_an_address_of_another_customer_is_not_stolen():
    phone_owner = customer_resolve(sender="0891112222")
    email_owner = customer_resolve(sender="somsri@example.com")
    # Two known customers are never merged implicitly: that is an agent's decision.
    assert customer_resolve(sender="somsri@example.com", extra_addresses=["0891112222"]).pk == email_owner.pk
    assert ContactIdentity.objects.get(address="+66891112222").customer_id == phone_owner.pk


def test_a_whatsapp_id_without_a_number_is_its_own_identity():
    customer = customer_resolve(sender="whatsapp:wa-user-abc")
    assert ContactIdentity.objects.get(customer=customer).kind == "whatsapp"
    assert customer_resolve(sender="whatsapp:wa-user-abc").pk == customer.pk


@pytest.mark.parametrize("sender", ["", "   ", "@", "chat:", "hello there"])
def test_senders_that_are_no_address_are_refused(sender):
    with pytest.raises(InvalidAddress):
        customer_resolve(sender=sender)
    assert not Customer.objects.exists()


def _two_customers():
    email = deliver("email", "emily@example.com", "Charged twice", sender_name="Emily Carter", subject="Refund")
    sms = deliver("sms", "+66895550101", "did you get my email?")
    deliver("whatsapp", "whatsapp:+66895550101", "hello on whatsapp")
    source, target = sms.message.customer, email.message.customer
    Customer.objects.filter(pk=source.pk).update(tier=Customer.Tier.VIP, notes="called twice")
    source.refresh_from_db()
    return source, target


def test_merge_moves_every_message_identity_and_ticket():
    source, target = _two_customers()
    messages = set(Message.objects.values_list("pk", flat=True))
    tickets = set(Ticket.objects.values_list("pk", flat=True))

    merged = customer_merge(source=source, target=target)

    assert merged.pk == target.pk
    assert set(Message.objects.filter(customer=target).values_list("pk", flat=True)) == messages
    assert set(Ticket.objects.filter(customer=target).values_list("pk", flat=True)) == tickets
    assert set(ContactIdentity.objects.filter(customer=target).values_list("address", flat=True)) == {
        "emily@example.com", "+66895550101"
    }  # fmt: skip
    target.refresh_from_db()
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert target.tier == Customer.Tier.VIP and target.notes == "called twice"
    assert target.name == "Emily Carter"
    moved = Ticket.objects.exclude(channel="email").values_list("pk", flat=True)
    assert set(TicketActivity.objects.filter(kind="merged").values_list("ticket_id", flat=True)) == set(moved)
    # The next message from the merged-away phone lands on the target.
    assert deliver("sms", "0895550101", "thanks!").message.customer_id == target.pk


def test_merge_twice_changes_nothing_more():
    source, target = _two_customers()
    customer_merge(source=source, target=target)
    before = (
        list(Message.objects.order_by("pk").values_list("pk", "customer_id")),
        list(ContactIdentity.objects.order_by("pk").values_list("pk", "customer_id")),
        TicketActivity.objects.count(),
    )
    assert customer_merge(source=source, target=target).pk == target.pk
    after = (
        list(Message.objects.order_by("pk").values_list("pk", "customer_id")),
        list(ContactIdentity.objects.order_by("pk").values_list("pk", "customer_id")),
        TicketActivity.objects.count(),
    )
    assert after == before


def test_merge_into_itself_or_again_elsewhere_is_refused():
    source, target = _two_customers()
    with pytest.raises(MergeError, match="itself"):
        customer_merge(source=source, target=source)
    customer_merge(source=source, target=target)
    third = customer_resolve(sender="someone@example.com")
    with pytest.raises(MergeError, match="already merged"):
        customer_merge(source=source, target=third)


def test_a_stale_identity_of_a_merged_customer_still_resolves_to_the_live_one():
    source, target = _two_customers()
    customer_merge(source=source, target=target)
    # An identity left behind (moved by hand, restored from a backup) still leads to the target.
    ContactIdentity.objects.create(customer=source, kind="email", address="old@example.com", lookup_key="old@example.com")
    assert customer_resolve(sender="old@example.com").pk == target.pk
