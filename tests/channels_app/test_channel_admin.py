"""The admin shows each messaging channel's settings (never its secrets) and health:
the last event received and the last error."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.channels_app.line.line_posts import batch, post_line, sign, text_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    user = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-only-123")
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_lists_every_channel_with_its_last_event_and_last_error(admin_client, settings):
    settings.CHANNEL_HEALTH_FLUSH_S = 0
    settings.LINE_CHANNEL_ACCESS_TOKEN = "a-real-looking-token-" + "x" * 40
    body = json.dumps(batch(text_event("hi"))).encode()
    post_line(Client(), body, signature=sign(body, "wrong-secret"))
    post_line(Client(), batch())

    page = admin_client.get("/admin/channels_app/channelhealth/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "line" in page and "messenger" in page and "instagram" in page
    assert "webhook refused: invalid X-Line-Signature" in page

    from channels_app.models import ChannelHealth

    line = ChannelHealth.objects.get(channel="line")
    detail = admin_client.get(f"/admin/channels_app/channelhealth/{line.pk}/change/").content.decode()
    assert "/webhooks/line/" in detail and "LINE_API_BASE_URL" in detail
    assert settings.LINE_CHANNEL_ACCESS_TOKEN not in detail and settings.LINE_CHANNEL_SECRET not in detail
    assert line.last_event_at is not None
