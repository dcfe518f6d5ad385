"""Fixtures for the Meta adapter: a fake Graph API over real HTTP."""

from __future__ import annotations

import pytest

from tests.fake_meta import FakeMeta


@pytest.fixture
def fake_meta(settings):
    fake = FakeMeta(page_token=settings.META_PAGE_ACCESS_TOKEN).start()
    settings.META_GRAPH_BASE_URL = fake.base_url
    settings.META_MEDIA_HOSTS = [*settings.META_MEDIA_HOSTS, fake.netloc]
    settings.META_HTTP_TIMEOUT = 3
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _channel_health_written_at_once(settings):
    settings.CHANNEL_HEALTH_FLUSH_S = 0
