"""Outbound webhooks end to end: changes in the helpdesk reach a local receiver over
real HTTP, signed the Stripe way (the receiver checks the signature), a failing
receiver is retried with every attempt logged, an administrator reads the log and
sends again, and private addresses are refused unless allowed."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import deliver
from tickets.admin_webhooks import WebhookSubscriptionForm
from tickets.models import Message, Ticket, WebhookDelivery, WebhookSubscription
from tickets.services.customers import customer_merge
from tickets.services.tickets import ticket_set_status
from tickets.services.webhooks import MAX_ATTEMPTS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_acknowledgements(settings):
    # The automatic acknowledgement is a message too; these tests follow the customer's.
    settings.HELPDESK_AUTOACK_ENABLED = False


class Receiver:
    """An integration's endpoint: checks each signature as its docs would tell it to."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self.secret = ""
        self.received: list[dict] = []
        self.bad_signatures = 0
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not receiver.verify(self.headers.get("Helpdesk-Signature", ""), body):
                    receiver.bad_signatures += 1
                    self.send_response(400)
                elif receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                else:
                    receiver.received.append({"headers": dict(self.headers.items()), "body": json.loads(body)})
                    self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/helpdesk"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verify(self, header: str, body: bytes, tolerance_s: int = 300) -> bool:
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        if "t" not in parts or "v1" not in parts or abs(time.time() - int(parts["t"])) > tolerance_s:
            return False
        expected = hmac.new(self.secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts["v1"])

    def types(self) -> list[str]:
        return [item["body"]["type"] for item in self.received]


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()


def _subscribe(receiver: Receiver, **fields) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.create(url=receiver.url, allow_private_host=True, **fields)
    receiver.secret = subscription.secret
    return subscription


def test_changes_reach_the_receiver_signed_in_order(receiver, agent, django_capture_on_commit_callbacks):
    _subscribe(receiver)

    with django_capture_on_commit_callbacks(execute=True):
        result = deliver("email", "somchai@example.com", "ยังไม่ได้รับของครับ", subject="คำสั่งซื้อ 1234")
    ticket = result.message.ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status="resolved", actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        deliver("email", "somchai@example.com", "ยังไม่ได้เลยครับ", subject=f"Re: [HD-{ticket.pk}] คำสั่งซื้อ 1234")

    assert receiver.bad_signatures == 0
    types = receiver.types()
    assert types[:2] == ["ticket.created", "message.created"]
    assert "ticket.resolved" in types and "ticket.reopened" in types
    created = receiver.received[0]
    assert created["body"]["data"]["ticket"]["id"] == ticket.pk
    assert created["headers"]["Helpdesk-Event"] == "ticket.created"
    message = next(item for item in receiver.received if item["body"]["type"] == "message.created")
    assert message["body"]["data"]["message"]["text"] == "ยังไม่ได้รับของครับ"
    assert WebhookDelivery.objects.exclude(status="succeeded").count() == 0


def test_a_subscription_hears_only_its_events_and_merges_are_told(receiver, django_capture_on_commit_callbacks):
    _subscribe(receiver, events=["customer.merged"])
    first = deliver("email", "a@example.com", "hi").message.customer
    second = deliver("sms", "+66812345678", "hi").message.customer

    with django_capture_on_commit_callbacks(execute=True):
        customer_merge(source=second, target=first)

    assert receiver.types() == ["customer.merged"]
    assert receiver.received[0]["body"]["data"] == {"source": second.pk, "target": first.pk}


def test_a_failing_receiver_is_retried_and_every_attempt_is_logged(receiver, django_capture_on_commit_callbacks):
    _subscribe(receiver, events=["message.created"])
    receiver.fail_first = 2

    with django_capture_on_commit_callbacks(execute=True):
        deliver("email", "a@example.com", "hello")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [503, 503, 200]
    assert len(receiver.received) == 1


def test_a_receiver_that_never_answers_well_fails_after_the_last_attempt_and_can_be_resent(
    receiver, django_capture_on_commit_callbacks
):
    subscription = _subscribe(receiver, events=["message.created"])
    receiver.fail_first = MAX_ATTEMPTS

    with django_capture_on_commit_callbacks(execute=True):
        deliver("email", "a@example.com", "hello")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)

    admin = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-only-123")
    browser = Client()
    browser.force_login(admin)
    page = browser.get(f"/admin/tickets/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert page.count("503") >= MAX_ATTEMPTS
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(
            "/admin/tickets/webhookdelivery/", {"action": "resend", "_selected_action": [delivery.pk]}, follow=True
        )

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempt_log.count() == MAX_ATTEMPTS + 1
    assert receiver.received[0]["body"]["id"] == str(delivery.event_id)
    assert subscription.deliveries.count() == 1


def test_private_and_local_targets_are_refused_unless_allowed(django_capture_on_commit_callbacks):
    for url in ("http://127.0.0.1:8000/x", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/hook"):
        form = WebhookSubscriptionForm(data={"url": url, "active": True})
        assert not form.is_valid() and "refused" in str(form.errors)
    assert WebhookSubscriptionForm(
        data={"url": "http://127.0.0.1:8000/x", "active": True, "allow_private_host": True}
    ).is_valid()

    # A subscription that slipped past the form is still refused when it sends.
    WebhookSubscription.objects.create(url="http://127.0.0.1:9/hook", events=["message.created"])
    with django_capture_on_commit_callbacks(execute=True):
        deliver("email", "a@example.com", "hello")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.attempt_log.get().error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")


def test_deliveries_are_written_with_the_change_and_never_hold_it_up(django_capture_on_commit_callbacks):
    WebhookSubscription.objects.create(url="http://127.0.0.1:9/nobody-listens", allow_private_host=True)

    with django_capture_on_commit_callbacks(execute=True):
        result = deliver("email", "a@example.com", "hello")

    assert Message.objects.filter(pk=result.message.pk).exists()
    assert WebhookDelivery.objects.filter(event="message.created").count() == 1
    delivery = WebhookDelivery.objects.get(event="message.created")
    assert "ConnectionError" in delivery.attempt_log.first().error
