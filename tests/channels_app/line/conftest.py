"""Fixtures for the LINE adapter: a fake LINE API over real HTTP, for both of its hosts."""

from __future__ import annotations

import pytest

from tests.fake_line import FakeLine


@pytest.fixture
def fake_line(settings):
    fake = FakeLine(access_token=settings.LINE_CHANNEL_ACCESS_TOKEN).start()
    settings.LINE_API_BASE_URL = fake.base_url
    settings.LINE_API_DATA_BASE_URL = fake.base_url
    settings.LINE_HTTP_TIMEOUT = 3
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _channel_health_written_at_once(settings):
    settings.CHANNEL_HEALTH_FLUSH_S = 0
