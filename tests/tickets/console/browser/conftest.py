"""The browser fixtures of the end-to-end suite: a real ASGI server process, Debian's
chromium, logged-in contexts. Importing them also makes a SQLite test database a file
the server process can share."""

from tests.e2e.conftest import (  # noqa: F401
    _orm_next_to_playwright,
    _shared_asgi_server,
    agent_context,
    asgi_server,
    asgi_server_factory,
    browser,
    e2e_agent,
    new_context,
)
