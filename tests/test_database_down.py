"""PostgreSQL refusing connections, on real server processes: every HTTP entry point
(webhooks, API, console, portal, help center, chat) answers a clear 503 with
Retry-After instead of a 500, and acknowledges nothing it did not store. When the
database is back, the provider's retry of the same webhook is stored, once."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection

from tests.channels_app.twilio.twilio_posts import sign, sms_params
from tests.e2e.servers import server_env, start_asgi_server
from tickets.models import InboundEvent, Message

PUBLIC_URL = "http://helpdesk.test"

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL (DATABASE_URL)"
    ),
]


def _closed_port() -> int:
    """A local port that nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(name: str | None = None, port: int | None = None) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{port or db['PORT'] or 5432}/{name or db['NAME']}"


def _server(tmp_path, db_url: str, **extra: str):
    env = server_env(db_url=db_url, media_root=tmp_path / "media", secret_key=settings.SECRET_KEY,
                     extra={"HELPDESK_PUBLIC_URL": PUBLIC_URL, "DB_CONN_MAX_AGE": "0", **extra})  # fmt: skip
    return start_asgi_server(env=env, log_dir=tmp_path)


class _Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(self, method: str, path: str, *, data: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def cookie(self, name: str) -> str:
        return next((cookie.value for cookie in self.cookies if cookie.name == name), "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _twilio_post(client: _Client, params: dict):
    path = "/webhooks/twilio/sms/"
    headers = {"X-Twilio-Signature": sign(PUBLIC_URL + path, params), "Content-Type": "application/x-www-form-urlencoded"}
    return client.request("POST", path, data=urlencode(params).encode(), headers=headers)


def test_every_entry_point_answers_503_while_the_database_refuses_and_the_retry_is_stored_once(tmp_path):
    # The pool gives up on a connection after 2 s here (10 s by default).
    down = _server(tmp_path, _database_url(name="helpdesk_unreachable", port=_closed_port()), DB_POOL_TIMEOUT="2")
    params = sms_params("Is my order on its way?", sid="SM" + "d" * 32)
    try:
        client = _Client(down.url)
        answers = {
            "twilio webhook": _twilio_post(client, params),
            "email webhook": client.request(
                "POST", "/webhooks/email/inbound/", data=b"From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n",
                headers={"X-Helpdesk-Token": settings.HELPDESK_INBOUND_TOKEN, "Content-Type": "message/rfc822"},
            ),
            "api": client.request("GET", "/api/v1/tickets/", headers={"Authorization": "Token " + "a" * 40}),
            "help center": client.request("GET", "/help/"),
            "portal": client.request("GET", "/portal/"),
            "chat offline form": client.request(
                "POST", "/chat/offline/", data=urlencode({"name": "A", "email": "a@example.com", "message": "hi"}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
        }
        # The console's sign-in: the form itself needs no database, checking the password does.
        status, _headers, page = client.request("GET", "/console/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        answers["console sign-in"] = client.request(
            "POST", "/console/login/", data=urlencode({"csrfmiddlewaretoken": token, "username": "agent", "password": "x"}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": down.url + "/console/login/"},
        )
        answers["portal sign-in"] = client.request(
            "POST", "/portal/signin/", data=urlencode({"csrfmiddlewaretoken": client.cookie("csrftoken"), "address": "a@example.com"}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": down.url + "/portal/signin/"},
        )
        for name, (status, headers, body) in answers.items():
            assert status == 503, f"{name}: {status} {body[:300]}\n{down.log_tail()}"
            assert headers.get("Retry-After") == "30", name
        assert answers["api"][2].startswith('{"detail": "The service is briefly unavailable')
        assert '"code": "unavailable"' in answers["chat offline form"][2]
        assert "We are briefly unavailable" in answers["help center"][2]
        assert "Internal Server Error" not in down.log_tail(200)
    finally:
        down.stop()

    # The database is back: Twilio's retry of the same message is stored, once.
    up = _server(tmp_path, _database_url())
    try:
        client = _Client(up.url)
        assert _twilio_post(client, params)[0] == 200
        assert _twilio_post(client, params)[0] == 200
    finally:
        up.stop()
    assert Message.objects.filter(external_id=params["MessageSid"], text="Is my order on its way?").count() == 1
    assert InboundEvent.objects.filter(external_id=params["MessageSid"], status="processed").count() == 1
