"""Portal fixtures: customers made through the real pipeline, signed-in clients, and
an SMS outbox for sign-in codes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from kb.portal.services import portal_user_ensure
from tests.factories import deliver

SMS_OUTBOX: list[dict] = []


def record_sms(*, phone: str, body: str) -> None:
    """Stands in for Twilio: the tests read the code the customer would get."""
    SMS_OUTBOX.append({"phone": phone, "body": body})


@pytest.fixture(autouse=True)
def _portal_isolation(settings):
    cache.clear()
    SMS_OUTBOX.clear()
    settings.PORTAL_SMS_CODE_SENDER = "tests.kb.portal.conftest.record_sms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HELPDESK_PUBLIC_URL = "http://testserver"
    yield
    cache.clear()


@pytest.fixture
def sms_outbox():
    return SMS_OUTBOX


@pytest.fixture
def alice(db):
    """A customer who wrote by email, with one ticket."""
    result = deliver(
        "email", "Alice@Example.com", "My parcel is late", subject="Where is my parcel?", sender_name="Alice"
    )
    return result.message.customer


@pytest.fixture
def bob(db):
    """Another customer, known by phone, with one SMS ticket."""
    return deliver("sms", "+66 81 234 5678", "My card was charged twice").message.customer


def signed_in(customer, **client_kwargs) -> Client:
    client = Client(**client_kwargs)
    client.force_login(portal_user_ensure(customer=customer))
    return client


@pytest.fixture
def alice_client(alice):
    return signed_in(alice)


@pytest.fixture
def bob_client(bob):
    return signed_in(bob)
