"""Ticket create through the API (POST /api/v1/tickets/ with its first message): what
it costs in statements, and that the cheaper path still stores and answers exactly
what it did: the answer is the ticket as stored, every event and task is queued, the
ticket is found by its message's words, the day is marked, retries create nothing."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import deliver, make_user
from tickets.models import (
    KPIDirtyDay,
    Message,
    OutboxItem,
    Role,
    Team,
    Ticket,
    TicketActivity,
    WebhookDelivery,
    WebhookSubscription,
)
from tickets.selectors.search import ticket_search
from tickets.services.kpi_facts import fcr_facts_stale

pytestmark = pytest.mark.django_db

# Token, key, customer with their addresses, subscriptions, ticket (with its reply
# counted and its FCR facts) with its activity, search document and day, message,
# outbox, answer kept for retries.
STATEMENTS_PER_CREATE = 8
# Elsewhere the ticket, its activity, search document and day are four INSERTs
# (services/rows_insert.py).
STATEMENTS_PER_CREATE_ELSEWHERE = 11


def _create(client, customer, *, key: str | None = None, **fields):
    body = {"customer": customer.pk, "subject": "Your delivery", "channel": "email", "text": "It leaves on Tuesday."}
    body.update(fields)
    return client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


@pytest.fixture
def customer():
    return deliver("email", "buyer@example.com", "Where is my parcel?", sender_name="Malee").message.customer


def _statements_of_a_create(client, customer) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = _create(client, customer)
    assert response.status_code == 201
    # The test runs inside a transaction: the create's own is a savepoint here.
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_one_create_costs_a_fixed_number_of_statements(agent_client, customer):
    _create(agent_client, customer)  # the first request of a process reads a few things once
    statements = _statements_of_a_create(agent_client, customer)
    expected = STATEMENTS_PER_CREATE if connection.vendor == "postgresql" else STATEMENTS_PER_CREATE_ELSEWHERE
    assert len(statements) <= expected, "\n".join(sql[:120] for sql in statements)
    # With subscribers, each of the two events adds its deliveries' INSERT; their tasks
    # join the other outbox rows.
    WebhookSubscription.objects.create(url="https://hooks.example.com/in", allow_private_host=True)
    WebhookSubscription.objects.create(url="https://crm.example.com/in", allow_private_host=True)
    assert len(_statements_of_a_create(agent_client, customer)) == len(statements) + 2


def test_the_answer_is_the_ticket_as_stored(agent_client, customer, agent):
    team = Team.objects.create(name="Deliveries")
    colleague = make_user("colleague", roles=[Role.AGENT], first_name="Nok", last_name="Srisuk")
    response = _create(agent_client, customer, priority=3, team=team.pk, assignee=colleague.pk)
    assert response.status_code == 201
    created = response.json()
    assert created == agent_client.get(f"/api/v1/tickets/{created['id']}/").json()
    assert created["assignee"] == {"id": colleague.pk, "username": "colleague", "name": "Nok Srisuk"}
    assert created["team"] == "Deliveries" and created["customer"] == {"id": customer.pk, "name": "Malee"}
    ticket = Ticket.objects.get(pk=created["id"])
    assert (ticket.agent_reply_count, ticket.fcr_one_contact, ticket.first_response_at) == (1, True, None)
    message = ticket.messages.get()
    # Opened with its message at one instant, as the pipeline opens a customer's ticket.
    assert ticket.created_at == ticket.updated_at == ticket.last_agent_reply_at == message.created_at
    assert (message.direction, message.author, message.delivery_status) == ("out", agent, "queued")
    assert TicketActivity.objects.filter(ticket=ticket, kind="created", actor=agent).count() == 1


def test_events_tasks_day_and_search_are_all_written(agent_client, customer):
    WebhookSubscription.objects.create(url="https://hooks.example.com/in", allow_private_host=True)
    KPIDirtyDay.objects.all().delete()
    OutboxItem.objects.all().delete()
    response = _create(agent_client, customer, subject="Sofa delivery", text="The courier calls before noon")
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert set(WebhookDelivery.objects.values_list("event", flat=True)) == {"ticket.created", "message.created"}
    tasks = sorted(OutboxItem.objects.values_list("task", flat=True))
    assert tasks == [
        "tickets.tasks.deliver_message", "tickets.tasks.deliver_webhook", "tickets.tasks.deliver_webhook",
        "tickets.tasks.evaluate_escalation_rules",
    ]  # fmt: skip
    assert KPIDirtyDay.objects.count() == 1
    for words in ["courier noon", "sofa"]:
        assert list(ticket_search(Ticket.objects.all(), words).values_list("pk", flat=True)) == [ticket.pk], words
    for words in ["malee", "buyer@example.com"]:  # their earlier ticket too
        assert ticket.pk in ticket_search(Ticket.objects.all(), words).values_list("pk", flat=True), words


def test_the_ticket_is_stored_with_the_facts_the_definition_computes(agent_client, customer):
    """The FCR facts a new ticket is inserted with are the ones a recomputation gives."""
    ids = [_create(agent_client, customer).json()["id"] for _ in range(2)]
    assert Ticket.objects.get(pk=ids[0]).fcr_one_contact is True
    assert list(fcr_facts_stale(Ticket.objects.filter(pk__in=ids))) == []


def test_an_agent_in_training_opens_the_ticket_with_a_reply_awaiting_approval(customer):
    trainee = make_user("trainee", roles=[Role.AGENT], in_training=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=trainee).key}")
    response = _create(client, customer)
    assert response.status_code == 201
    assert response.json()["updated_at"] == client.get(f"/api/v1/tickets/{response.json()['id']}/").json()["updated_at"]
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.messages.get().delivery_status == "awaiting_approval"
    assert ticket.agent_reply_count == 0 and ticket.fcr_one_contact is False


def test_a_token_of_a_customer_or_an_unknown_token_is_refused(customer):
    portal_user = make_user("portal")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=portal_user).key}")
    assert _create(client, customer).status_code == 403
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert _create(client, customer).status_code == 401
    assert not Ticket.objects.filter(subject="Your delivery").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_key_create_one_ticket(agent, roles):
    customer = deliver("email", "race@example.com", "hello").message.customer
    token = Token.objects.create(user=agent).key
    key = str(uuid.uuid4())
    answers: list = []
    start = threading.Barrier(4)

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        start.wait()
        try:
            answers.append(_create(client, customer, key=key))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Ticket.objects.filter(customer=customer, subject="Your delivery").count() == 1
    created = [answer.json()["id"] for answer in answers if answer.status_code == 201]
    assert created and len(set(created)) == 1
    assert all(answer.status_code in (201, 409) for answer in answers)
    assert Message.objects.filter(ticket_id=created[0]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_create_and_the_answer_kept_for_its_retries_commit_once(agent, roles):
    """The key's claim, the ticket and the answer kept for retries are one transaction:
    one wait for the disk per create, and no claim is left behind by a failure."""
    if connection.vendor != "postgresql":
        pytest.skip("reads the BEGIN and COMMIT that psycopg logs")
    customer = deliver("email", "once@example.com", "hello").message.customer
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    _create(client, customer)
    with CaptureQueriesContext(connection) as captured:
        assert _create(client, customer).status_code == 201
    statements = [q["sql"] for q in captured.captured_queries]
    # What follows the first commit is the follow-ups' (their tasks run eagerly here).
    first_commit = statements.index("COMMIT")
    create = statements[: first_commit + 1]
    writes = [sql for sql in create if sql.split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE", "WITH")]
    assert "tickets_idempotentrequest" in writes[0] and "tickets_ticket" in writes[1]
    assert writes[-1].startswith('UPDATE "tickets_idempotentrequest"')
    assert create.index("BEGIN") < create.index(writes[0]) and create.count("BEGIN") == 1
