"""The API's throttles count in one round trip to the shared cache, and a window that
ends lets the caller in again."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_a_caller_is_let_in_again_when_the_window_ends(agent_client, settings):
    settings.HELPDESK_API_RATE_USER = "2/second"
    assert [agent_client.get("/api/v1/tickets/").status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(1.1)
    assert agent_client.get("/api/v1/tickets/").status_code == 200


def test_a_request_costs_one_round_trip_to_redis(agent_client, settings, monkeypatch):
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        pytest.skip("counts Redis round trips")
    settings.HELPDESK_API_RATE_USER = "5/minute"
    agent_client.get("/api/v1/tickets/")
    client = backend._cache.get_client(write=True)
    commands: list[str] = []
    execute = type(client).execute_command

    def counted(self, *args, **options):
        commands.append(args[0])
        return execute(self, *args, **options)

    monkeypatch.setattr(type(client), "execute_command", counted)
    assert agent_client.get("/api/v1/tickets/").status_code == 200
    assert len(commands) == 1, commands
    for _ in range(3):
        agent_client.get("/api/v1/tickets/")
    response = agent_client.get("/api/v1/tickets/")
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 60
