"""Staff sign-in: after too many failures the console and the admin refuse even the
right password for a while, per account and per address, with a clear message in the
reader's language; every attempt lands in the admin's audit trail. The REST API is
throttled per user and per address with a 429 that says when to retry."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from tests.factories import make_user
from tickets.models import Role, SignInAttempt

PASSWORD = "pw-agent1"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def _sign_in(client: Client, path: str, username: str, password: str, **headers):
    return client.post(path, {"username": username, "password": password}, **headers)


def test_console_locks_the_account_after_five_failures_even_for_the_right_password(agent):
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 test")
    for _ in range(5):
        response = _sign_in(client, "/console/login/", "agent1", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    response = _sign_in(client, "/console/login/", "agent1", PASSWORD)
    page = response.content.decode()
    assert response.status_code == 200, "the right password must not sign in while locked"
    assert "Too many failed sign-ins" in page and "15 minutes" in page
    assert "_auth_user_id" not in client.session
    # From another address too: the account itself is locked.
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert "Too many failed sign-ins" in _sign_in(other, "/console/login/", "agent1", PASSWORD).content.decode()
    outcomes = list(SignInAttempt.objects.order_by("id").values_list("outcome", "ip", "user_agent"))
    assert outcomes[:5] == [("failed", "203.0.113.7", "Mozilla/5.0 test")] * 5
    assert outcomes[5] == ("throttled", "203.0.113.7", "Mozilla/5.0 test")


def test_the_lock_ends_with_its_window(agent, settings):
    settings.HELPDESK_SIGNIN_LOCKOUT_S = 1
    client = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(5):
        _sign_in(client, "/console/login/", "agent1", "wrong")
    cache.clear()  # the window ran out (Redis expires the counters)
    response = _sign_in(client, "/console/login/", "agent1", PASSWORD)
    assert response.status_code == 302
    attempt = SignInAttempt.objects.latest("id")
    assert (attempt.outcome, attempt.user_id, attempt.site) == ("success", agent.pk, "console")


def test_one_address_trying_many_accounts_is_stopped(roles, settings):
    settings.HELPDESK_SIGNIN_MAX_FAILURES_PER_IP = 8
    make_user("victim", roles=[Role.AGENT])
    client = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(8):
        _sign_in(client, "/console/login/", f"guess{number}", "wrong")
    page = _sign_in(client, "/console/login/", "victim", "pw-victim").content.decode()
    assert "Too many failed sign-ins" in page
    # Another address still signs the victim in: only the attacker's address is stopped.
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.10"), "/console/login/", "victim", "pw-victim").status_code == 302


def test_the_message_is_in_thai(agent):
    client = Client(REMOTE_ADDR="203.0.113.10", HTTP_ACCEPT_LANGUAGE="th")
    for _ in range(6):
        response = _sign_in(client, "/console/login/", "agent1", "wrong")
    assert "ลงชื่อเข้าใช้ผิดหลายครั้งเกินไป" in response.content.decode()


def test_admin_sign_in_is_locked_and_audited(db):
    get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-long-enough")
    client = Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(5):
        _sign_in(client, "/admin/login/", "boss", "wrong")
    page = _sign_in(client, "/admin/login/", "boss", "pw-boss-long-enough").content.decode()
    assert "Too many failed sign-ins" in page
    assert SignInAttempt.objects.filter(site="admin", outcome="failed").count() == 5
    # The administrator reads the audit trail (from a fresh address once the lock ends).
    cache.clear()
    admin = Client(REMOTE_ADDR="198.51.100.11")
    assert _sign_in(admin, "/admin/login/", "boss", "pw-boss-long-enough").status_code == 302
    listing = admin.get("/admin/tickets/signinattempt/")
    assert listing.status_code == 200
    assert "203.0.113.11" in listing.content.decode()
    assert admin.get("/admin/tickets/signinattempt/add/").status_code == 403


def test_api_throttles_users_and_anonymous_callers_with_a_clear_429(agent_client, settings):
    settings.HELPDESK_API_RATE_USER = "3/minute"
    for _ in range(3):
        assert agent_client.get("/api/v1/tickets/").status_code == 200
    response = agent_client.get("/api/v1/tickets/")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled. Expected available in")
    assert int(response["Retry-After"]) > 0

    # Anonymous callers, where the API lets them in (the schema), per address.
    settings.HELPDESK_API_RATE_ANON = "2/minute"
    anonymous = Client(REMOTE_ADDR="203.0.113.12")
    assert [anonymous.get("/api/schema/").status_code for _ in range(3)] == [200, 200, 429]
    assert Client(REMOTE_ADDR="198.51.100.12").get("/api/schema/").status_code == 200
