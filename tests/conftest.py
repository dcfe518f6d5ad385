"""Shared fixtures. Tests hit the real database (SQLite by default, PostgreSQL when
DATABASE_URL is set). Server processes started by the tests use the Redis channel
layer when REDIS_URL is set. Celery runs eagerly, in-process."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk.celery import app as celery_app
from tests.factories import make_user
from tickets.models import Role

# The suite runs with DEBUG off on the development secrets, in this process (which
# imports helpdesk.asgi) and in the servers and workers it starts, which inherit this.
os.environ["HELPDESK_ALLOW_DEV_SECRETS"] = "1"
settings.HELPDESK_ALLOW_DEV_SECRETS = True

celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = False


@pytest.fixture(autouse=True)
def _api_throttles_out_of_the_way(settings):
    # The suite's many API calls come from one address and share the Redis cache;
    # tests/tickets/test_signin_throttle.py sets real rates.
    settings.HELPDESK_API_RATE_USER = settings.HELPDESK_API_RATE_ANON = "100000/minute"


@pytest.fixture(autouse=True)
def _visitor_budgets_fresh(settings):
    """The chat's per-visitor budgets live in the shared cache for ten minutes: a run
    started right after another would otherwise inherit its spending."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match="*chat-rate:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _deliveries_inline(settings):
    # Tests see a reply's delivery as soon as the call that queued it returns.
    settings.HELPDESK_SEND_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def _in_process_channel_layer(settings):
    """Consumers driven in this process (WebsocketCommunicator) use the in-memory layer:
    a consumer still waiting in channels_redis's receive when pytest-asyncio closes the
    test's event loop can hang the run. The Redis layer is exercised where it matters,
    across real server processes (tests/e2e: the servers take REDIS_URL from the
    environment), and by bench/chat.py."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def roles(db):
    return {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}


@pytest.fixture
def agent(roles):
    return make_user("agent1", roles=[Role.AGENT])


@pytest.fixture
def supervisor(roles):
    return make_user("super1", roles=[Role.SUPERVISOR])


@pytest.fixture
def agent_client(agent):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    return client


@pytest.fixture
def anon_client():
    return APIClient()
