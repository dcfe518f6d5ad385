"""Fixtures of the console tests: signed-in browsers for agents, supervisors and a
customer with a portal account."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_user
from tickets.models import Customer, Role


@pytest.fixture
def agent_browser(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def supervisor_browser(supervisor) -> Client:
    client = Client()
    client.force_login(supervisor)
    return client


@pytest.fixture
def customer_user(roles):
    user = make_user("customer1")
    Customer.objects.create(name="Portal Customer", user=user)
    return user


@pytest.fixture
def trainee(roles):
    return make_user("trainee1", roles=[Role.AGENT], in_training=True, first_name="Nok")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Presence counts connections in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
