"""`manage.py seed_demo`: the logins work, the data covers every channel and status
in Thai and English, and every ticket's KPI facts match its messages."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count

from tickets.models import (
    AgentProfile,
    Attachment,
    Channel,
    ContactIdentity,
    Customer,
    Direction,
    InboundEvent,
    Message,
    Tag,
    Team,
    Ticket,
    TicketActivity,
)

pytestmark = pytest.mark.django_db

THAI = re.compile(r"[\u0e00-\u0e7f]")


def _bulk_tickets():
    """Tickets written in bulk: none of their messages came through the pipeline."""
    return Ticket.objects.exclude(messages__event__isnull=False)


def _seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_logins_teams_and_portal_customer(roles):
    output = _seed(tickets=40, seed=3)
    for username in ("agent", "trainee", "supervisor", "admin"):
        user = authenticate(username=username, password=username)
        assert user is not None, username
        assert f"{username} / {username}" in output
    admin = authenticate(username="admin", password="admin")
    assert admin.is_superuser and admin.is_staff
    assert set(admin.groups.values_list("name", flat=True)) == {"admin"}
    assert set(authenticate(username="agent", password="agent").groups.values_list("name", flat=True)) == {"agent"}
    assert authenticate(username="supervisor", password="supervisor").groups.filter(name="supervisor").exists()
    assert AgentProfile.objects.get(user__username="trainee").in_training
    assert not AgentProfile.objects.get(user__username="agent").in_training
    assert {"Billing", "Technical", "ทีมขาย"} <= set(Team.objects.values_list("name", flat=True))

    portal = Customer.objects.get(identities__address="somchai@example.com")
    assert portal.user is not None
    assert not portal.user.has_usable_password()
    assert not portal.user.groups.exists()
    # One person on four channels, through the real pipeline: one customer.
    assert set(portal.tickets.values_list("channel", flat=True)) == {"email", "chat", "whatsapp", "sms"}
    assert InboundEvent.objects.filter(messages__customer=portal).count() == 4
    awaiting = Message.objects.get(customer=portal, delivery_status=Message.DeliveryStatus.AWAITING_APPROVAL)
    assert awaiting.author.username == "trainee"

    for text in ("http://127.0.0.1:8000/console/", "/admin/", "/portal/", "/api/docs/", "somchai@example.com"):
        assert text in output


def test_data_covers_channels_statuses_languages_and_extras(roles):
    _seed(tickets=150, seed=5, messages_per_ticket=5)
    bulk = _bulk_tickets()
    assert bulk.count() == 150
    assert set(bulk.values_list("channel", flat=True)) == set(Channel.values)
    assert set(bulk.values_list("status", flat=True)) == set(Ticket.Status.values)
    assert Ticket.objects.filter(reopen_count=1).exists()
    assert TicketActivity.objects.filter(kind="reopened").count() == Ticket.objects.filter(reopen_count=1).count()
    messages = Message.objects.filter(ticket__in=bulk)
    assert 4.0 <= messages.count() / 150 <= 6.0
    assert messages.filter(direction=Direction.NOTE).exists()
    acks = messages.filter(direction=Direction.OUT, is_automatic=True).select_related("ticket")
    assert acks.exists()
    assert all(ack.ticket.reference in ack.text and "{" not in ack.text for ack in acks)
    texts = list(messages.filter(direction=Direction.IN).values_list("text", flat=True))
    thai = sum(1 for text in texts if THAI.search(text))
    assert 0.4 < thai / len(texts) < 0.95  # mostly Thai, some English
    assert Customer.objects.filter(name__regex=r"^[A-Za-z]+ [A-Za-z]+$").exists()
    phones = ContactIdentity.objects.filter(kind="phone").values_list("address", flat=True)
    assert all(re.fullmatch(r"\+66[689]\d{8}", phone) for phone in phones)
    assert Tag.objects.filter(tickets__isnull=False).exists()
    attachment = Attachment.objects.filter(message__ticket__in=bulk).first()
    assert attachment is not None and attachment.size > 0
    with attachment.file.open("rb") as handle:
        assert len(handle.read()) == attachment.size
    # A customer merged into another (the showcase's confirmed chat visitor) keeps its
    # last contact; its tickets moved.
    assert Customer.objects.filter(last_inbound_at__isnull=False, merged_into__isnull=True).count() == (
        Customer.objects.annotate(n=Count("tickets")).filter(n__gt=0).count()
    )


def test_kpi_facts_match_the_messages(roles):
    _seed(tickets=120, seed=11, messages_per_ticket=6)
    checked = 0
    for ticket in Ticket.objects.prefetch_related("messages"):
        messages = sorted(ticket.messages.all(), key=lambda m: (m.created_at, m.pk))
        inbound = [m for m in messages if m.direction == Direction.IN and not m.is_auto_reply]
        replies = [
            m for m in messages
            if m.direction == Direction.OUT and not m.is_automatic
            and m.delivery_status != Message.DeliveryStatus.AWAITING_APPROVAL
        ]  # fmt: skip
        assert ticket.first_inbound_at == (inbound[0].created_at if inbound else None), ticket.pk
        assert ticket.last_inbound_at == (inbound[-1].created_at if inbound else None), ticket.pk
        assert ticket.agent_reply_count == len(replies), ticket.pk
        if ticket.agent_initiated or not replies:
            assert ticket.first_response_at is None and ticket.first_response_s is None
        else:
            assert ticket.first_response_at == replies[0].created_at, ticket.pk
            expected = int((replies[0].created_at - ticket.first_inbound_at).total_seconds())
            assert ticket.first_response_s == expected
        if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
            assert ticket.resolved_at >= messages[-1].created_at
            assert ticket.resolution_s == int((ticket.resolved_at - ticket.created_at).total_seconds())
        if ticket.status == Ticket.Status.CLOSED:
            assert ticket.closed_at >= ticket.resolved_at
        if ticket.reopen_count:
            # Resolved once, then the customer wrote again.
            reopened = ticket.activities.get(kind="reopened").created_at
            assert any(m.created_at == reopened for m in inbound)
        assert ticket.created_at <= messages[0].created_at
        assert ticket.updated_at >= messages[-1].created_at
        checked += 1
    assert checked >= 120


def test_same_seed_gives_the_same_data_and_if_empty_adds_nothing(roles):
    def snapshot() -> list[tuple]:
        return list(
            _bulk_tickets().order_by("pk")
            .values_list("subject", "status", "channel", "priority", "reopen_count", "agent_reply_count")
        )  # fmt: skip

    def texts() -> list[str]:
        # Ticket numbers differ between runs: the database hands out new ids.
        values = Message.objects.filter(ticket__in=_bulk_tickets()).order_by("pk").values_list("text", flat=True)
        return [re.sub(r"HD-\d+", "HD-n", text) for text in values]

    _seed(tickets=30, seed=9)
    first, first_texts = snapshot(), texts()
    output = _seed(tickets=30, seed=9, if_empty=True)
    assert "nothing seeded" in output and "agent / agent" in output
    assert len(snapshot()) == 30

    Message.objects.all().delete()
    Ticket.objects.all().delete()
    Customer.objects.all().delete()
    _seed(tickets=30, seed=9)
    assert snapshot() == first
    assert texts() == first_texts


def test_second_run_adds_more_without_collisions(roles):
    _seed(tickets=20, seed=1)
    customers = Customer.objects.count()
    _seed(tickets=20, seed=1)
    assert _bulk_tickets().count() == 40
    assert Customer.objects.count() > customers
    # The showcase went through the pipeline once; its redeliveries were acknowledged as duplicates.
    assert InboundEvent.objects.filter(status="duplicate").count() == 7


def test_bad_sizes_are_refused(roles):
    with pytest.raises(Exception, match="--tickets"):
        _seed(tickets=-1)
