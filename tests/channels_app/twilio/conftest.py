"""Fixtures for the Twilio adapter: a fake Twilio API over real HTTP."""

from __future__ import annotations

import pytest

from tests.fake_twilio import FakeTwilio


@pytest.fixture
def fake_twilio(settings):
    fake = FakeTwilio(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN).start()
    settings.TWILIO_API_BASE_URL = fake.base_url
    settings.TWILIO_MEDIA_HOSTS = [*settings.TWILIO_MEDIA_HOSTS, fake.netloc]
    yield fake
    fake.stop()
