"""Shared fixtures of the end-to-end tests: real ASGI server processes (uvicorn
running helpdesk.asgi) on free ports against the test's own database, Playwright
driving Debian's chromium, and browser contexts logged in as agents.

The servers read and write the database the test uses, so tests that use them are
transactional (their data is committed where the server can see it):
- PostgreSQL: the servers get DATABASE_URL pointing at the test database (test_<name>).
- SQLite: an in-memory test database cannot be shared with another process, so when
  these tests are collected the test database is a file (DATABASES TEST NAME).
Celery runs eagerly inside each server. With REDIS_URL set, the servers use the
Redis channel layer, so several of them act as one.

    def test_something(asgi_server, new_context, agent_context): ...
    def test_mail_to_files(mail_server, new_context): new_context(server=mail_server), where
        mail_server is a server of asgi_server_factory(EMAIL_BACKEND=...)
    def test_scale(asgi_server_factory): a, b = asgi_server_factory(), asgi_server_factory()
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.e2e.servers import AsgiServer, server_env, session_cookie_for, start_asgi_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _share_sqlite_test_database() -> None:
    """Before the test database is created: on SQLite, make it a file the server
    processes can open. One file per pytest process, so parallel runs never meet."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return
    test = database.setdefault("TEST", {})
    name = str(test.get("NAME") or "")
    if not name or name == ":memory:" or "mode=memory" in name:
        test["NAME"] = str(Path(tempfile.gettempdir()) / f"helpdesk-e2e-{os.getpid()}.sqlite3")


_share_sqlite_test_database()


def pytest_sessionfinish(session, exitstatus) -> None:
    """Django removes the SQLite test database file but not its WAL and shared-memory files."""
    name = str(settings.DATABASES["default"].get("TEST", {}).get("NAME") or "")
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and name.startswith(tempfile.gettempdir()):
        for path in Path(name).parent.glob(Path(name).name + "*"):
            if not Path(name).exists():
                path.unlink(missing_ok=True)


def database_url() -> str:
    """A DATABASE_URL for the test database, for a server process to use."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture(scope="session")
def asgi_server_factory(django_db_setup, tmp_path_factory) -> Iterator[Callable[..., AsgiServer]]:
    """Starts ASGI server processes on the test database; all are stopped at the end
    of the session. Keyword arguments become environment variables of the server."""
    servers: list[AsgiServer] = []
    log_dir = tmp_path_factory.mktemp("asgi-logs")
    media_root = tmp_path_factory.mktemp("asgi-media")

    def start(**extra_env: str) -> AsgiServer:
        env = server_env(db_url=database_url(), media_root=media_root, secret_key=settings.SECRET_KEY, extra=extra_env)
        server = start_asgi_server(env=env, log_dir=log_dir)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def _shared_asgi_server(asgi_server_factory) -> AsgiServer:
    return asgi_server_factory()


@pytest.fixture
def asgi_server(transactional_db, _shared_asgi_server) -> AsgiServer:
    """One server process for the whole session; each test's data is committed, so the server sees it."""
    if _shared_asgi_server.process.poll() is not None:
        pytest.fail(f"the ASGI server died:\n{_shared_asgi_server.log_tail()}")
    return _shared_asgi_server


@pytest.fixture(autouse=True)
def _orm_next_to_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop in the test's thread; the ORM calls the
    # tests make between browser steps are still plain blocking calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright's sync API. Never downloads a browser.
    Module-scoped: while Playwright's sync API runs, the main thread has a running event
    loop, which the tests of other modules (and their database teardown) must not meet."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium where apt-get can)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, request):
    """Opens browser contexts (separate cookie jars and storage) on a server, closed
    after the test. The server is the shared `asgi_server` unless a test that needs a
    server of its own (other settings) passes it: new_context(server=portal_server)."""
    contexts = []

    def open_context(*, server: AsgiServer | None = None, **options):
        server = server or request.getfixturevalue("asgi_server")
        options.setdefault("base_url", server.url)
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def third_party_site(asgi_server) -> Iterator[str]:
    """Another site (another origin, on 127.0.0.1) whose page embeds the chat with
    our one script tag, as a customer's shop would. Yields the page's URL."""
    page = (
        "<!doctype html><html lang='en'><head><meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Shop</title></head><body><h1>Shop</h1>"
        f"<script src='{asgi_server.url}/chat/embed.js' async></script></body></html>"
    ).encode()

    class ShopPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ShopPage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def e2e_agent(transactional_db):
    from django.contrib.auth.models import Group

    from tests.factories import make_user
    from tickets.models import Role

    for role in Role.values:
        Group.objects.get_or_create(name=role)
    return make_user("nok", roles=[Role.AGENT], first_name="Nok", last_name="Sukjai")


@pytest.fixture
def agent_context(new_context, asgi_server, e2e_agent):
    """A browser context logged in to the console as an agent (e2e_agent)."""
    context = new_context()
    context.add_cookies([session_cookie_for(e2e_agent, url=asgi_server.url)])
    return context
