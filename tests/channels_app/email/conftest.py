"""Fixtures of the email channel's tests: the public corpus, the .eml fixtures, and
real SMTP (aiosmtpd) and IMAP servers on 127.0.0.1."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.channels_app.email.imap_server import IMAPTestServer

REPO_ROOT = Path(__file__).resolve().parents[3]
# CI has shared/ beside the clone.
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "email"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_bytes(name: str, **placeholders: str) -> bytes:
    """A fixture .eml with its %%NAME%% placeholders filled in."""
    raw = (FIXTURES / name).read_bytes()
    for key, value in placeholders.items():
        raw = raw.replace(f"%%{key.upper().rstrip('_')}%%".encode(), value.encode())
    return raw


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the public email corpus is not at {CORPUS} (it lives in shared/ beside the clone)")
    return CORPUS


class RecordingHandler:
    """An SMTP server that answers each DATA with the next of `data_replies` (then
    250), refuses recipients with `rcpt_reply`, and keeps what it accepted."""

    def __init__(self, *, data_replies: list[str] | None = None, rcpt_reply: str = "") -> None:
        self.data_replies = list(data_replies or [])
        self.rcpt_reply = rcpt_reply
        self.received: list[tuple[str, list[str], bytes]] = []
        self.attempted: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.attempted.append(envelope.original_content)
        if self.data_replies:
            reply = self.data_replies.pop(0)
            if not reply.startswith("250"):
                return reply
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK: queued"


def _free_port() -> int:
    # aiosmtpd's Controller checks its server by connecting to the port it was
    # given, so it needs a real port number rather than 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A factory: smtp_server(data_replies=[...], rcpt_reply="") -> RecordingHandler,
    with Django's SMTP backend pointed at it."""
    controllers: list[Controller] = []

    def start(**options) -> RecordingHandler:
        handler = RecordingHandler(**options)
        controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        return handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def imap_server(settings):
    server = IMAPTestServer(user="support@helpdesk.example", password="s3cret pass").start()
    settings.IMAP_HOST = "127.0.0.1"
    settings.IMAP_PORT = server.port
    settings.IMAP_USER = "support@helpdesk.example"
    settings.IMAP_PASSWORD = "s3cret pass"
    settings.IMAP_USE_SSL = False
    settings.IMAP_FOLDER = "INBOX"
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()
