"""The smaller protections: an unknown websocket path is refused cleanly, API POSTs
honour Idempotency-Key, and production pages carry HSTS, the https redirect and a
Content-Security-Policy."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator

import helpdesk.settings.base as settings_base
from helpdesk.asgi import application
from tests.factories import deliver
from tickets.models import IdempotentRequest, Message, Ticket


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/", "/not-a-websocket/", "/ws/chat/extra/"])
async def test_an_unknown_websocket_path_is_refused_not_a_server_error(path):
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://testserver")])
    connected, code = await communicator.connect(timeout=5)
    assert (connected, code) == (False, 4404)


# --- Idempotency-Key ------------------------------------------------------------------


def _post(client, path: str, data: dict, key: str):
    return client.post(path, data, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_retried_reply_with_the_same_key_is_sent_once(agent_client):
    ticket = deliver("email", "k@example.com", "Where is my parcel?", subject="Parcel").ticket
    path = f"/api/v1/tickets/{ticket.pk}/messages/"
    key = str(uuid.uuid4())
    first = _post(agent_client, path, {"text": "It left today."}, key)
    again = _post(agent_client, path, {"text": "It left today."}, key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Message.objects.filter(ticket=ticket, text="It left today.").count() == 1
    # The same key on another request is the client's mistake; a new key is a new reply.
    assert _post(agent_client, path, {"text": "Something else"}, key).status_code == 422
    assert _post(agent_client, path, {"text": "It left today."}, str(uuid.uuid4())).status_code == 201
    assert Message.objects.filter(ticket=ticket, text="It left today.").count() == 2


@pytest.mark.django_db
def test_a_retried_ticket_creation_creates_one_ticket_and_keys_are_per_user(agent_client, supervisor):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    customer = deliver("email", "c@example.com", "hello").message.customer
    data = {"customer": customer.pk, "subject": "Call back", "channel": "email"}
    key = "create-" + uuid.uuid4().hex
    first = _post(agent_client, "/api/v1/tickets/", data, key)
    assert first.status_code == 201
    assert _post(agent_client, "/api/v1/tickets/", data, key).json()["id"] == first.json()["id"]
    assert Ticket.objects.filter(subject="Call back").count() == 1
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=supervisor).key}")
    assert _post(other, "/api/v1/tickets/", data, key).status_code == 201
    assert Ticket.objects.filter(subject="Call back").count() == 2
    assert IdempotentRequest.objects.filter(key=key).count() == 2


@pytest.mark.django_db
def test_an_invalid_request_is_not_remembered_and_a_long_key_is_refused(agent_client):
    key = str(uuid.uuid4())
    assert _post(agent_client, "/api/v1/tickets/", {"subject": ""}, key).status_code == 400
    assert not IdempotentRequest.objects.filter(key=key).exists()
    assert _post(agent_client, "/api/v1/tickets/", {"subject": "x"}, "k" * 256).status_code == 400


# --- Production headers ----------------------------------------------------------------


def _base_settings(monkeypatch, **env: str):
    """helpdesk/settings/base.py evaluated afresh under `env`, beside the live settings."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DEBUG", raising=False)
    spec = importlib.util.spec_from_file_location("helpdesk.settings._probe", Path(settings_base.__file__))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_settings_turn_on_hsts_the_redirect_and_the_csp(monkeypatch):
    production = _base_settings(monkeypatch, HELPDESK_PUBLIC_URL="https://support.example.com")
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SECURE_HSTS_SECONDS == 365 * 24 * 3600
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.HELPDESK_CSP is True
    development = _base_settings(monkeypatch, HELPDESK_PUBLIC_URL="http://127.0.0.1:8000")
    assert not hasattr(development, "SECURE_HSTS_SECONDS") and development.HELPDESK_CSP is False


@pytest.mark.django_db
def test_pages_carry_the_csp_and_the_widget_keeps_its_own(client, settings):
    settings.HELPDESK_CSP = True
    policy = client.get("/console/login/")["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-hashes' 'sha256-" in policy and "'unsafe-eval'" not in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert "frame-ancestors *" in client.get("/chat/widget/")["Content-Security-Policy"]
    settings.HELPDESK_CSP = False
    assert "Content-Security-Policy" not in client.get("/console/login/")
