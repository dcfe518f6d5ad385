"""Edits in the Django admin keep what the services keep beside a ticket: the KPI
rollups stay equal to a full recomputation, and search finds the new words."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from tests.factories import deliver, make_user
from tickets.models import Message, Role, Team, Ticket
from tickets.selectors.search import ticket_search
from tickets.services.kpi_rollups_check import kpi_rollups_differences
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def resolved_ticket(sender: str, agent) -> Ticket:
    ticket = deliver("sms", sender, "my parcel is late").ticket
    reply_create(ticket=ticket, author=agent, text="It leaves today.")
    return ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)


def change_form_data(ticket: Ticket, **changes) -> dict:
    request = RequestFactory().get("/")
    request.user = make_user("reader", is_staff=True, is_superuser=True)
    form = site._registry[Ticket].get_form(request, ticket)(instance=ticket)
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    return {**data, **changes, "_save": "Save"}


def test_a_reassignment_in_the_admin_keeps_the_rollups_exact(admin_client, roles):
    agent, other = make_user("agent", roles=[Role.AGENT]), make_user("other", roles=[Role.AGENT])
    ticket = resolved_ticket("+66810000001", agent)
    assert kpi_rollups_differences() == []

    team = Team.objects.create(name="Returns")
    stranger = deliver("sms", "+66810000009", "hi").ticket.customer
    data = change_form_data(ticket, assignee=other.pk, team=team.pk, channel="whatsapp", subject="Zebrafish order")
    # The customer is read only here (tickets move by merging customers): a forged value is ignored.
    data["customer"] = stranger.pk
    response = admin_client.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)

    assert response.status_code == 302, response.content[:2000]
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.team_id, ticket.channel) == (other.pk, team.pk, "whatsapp")
    assert ticket.customer_id != stranger.pk
    # A new ticket still names its customer.
    assert b'name="customer"' in admin_client.get("/admin/tickets/ticket/add/").content
    assert kpi_rollups_differences() == []
    assert list(ticket_search(Ticket.objects.all(), "zebrafish")) == [ticket]


def test_the_admin_deletes_no_ticket_and_no_customer(admin_client, roles):
    # Contacts are never deleted: a customer's data goes through erasure instead.
    agent = make_user("agent", roles=[Role.AGENT])
    ticket = resolved_ticket("+66810000001", agent)

    assert admin_client.post(f"/admin/tickets/ticket/{ticket.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client.post(
        "/admin/tickets/customer/",
        {"action": "delete_selected", "_selected_action": [ticket.customer_id], "post": "yes"},
    )
    assert response.status_code == 302  # "No action selected": the list comes back
    assert Ticket.objects.filter(pk=ticket.pk, customer_id=ticket.customer_id).exists()
    assert kpi_rollups_differences() == []


def test_messages_are_read_only_in_the_admin(admin_client, roles):
    message = deliver("sms", "+66810000001", "hello").message
    assert admin_client.get(f"/admin/tickets/message/{message.pk}/change/").status_code == 200
    response = admin_client.post(f"/admin/tickets/message/{message.pk}/change/", {"text": "rewritten"})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/tickets/message/{message.pk}/delete/", {"post": "yes"}).status_code == 403
    message.refresh_from_db()
    assert message.text == "hello"
    assert Message.objects.filter(pk=message.pk).exists()
