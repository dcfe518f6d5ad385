"""The channels' health for the admin: the last event each webhook took, and the
last error it met. One UPDATE per request; the row is created on first use."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from channels_app.models import ChannelHealth


def channel_event_record(*, channel: str, count: int = 1) -> None:
    now = timezone.now()
    if ChannelHealth.objects.filter(channel=channel).update(
        last_event_at=now, events_received=F("events_received") + count
    ):
        return
    try:
        with transaction.atomic():
            ChannelHealth.objects.create(channel=channel, last_event_at=now, events_received=count)
    except IntegrityError:  # created meanwhile by another request
        ChannelHealth.objects.filter(channel=channel).update(
            last_event_at=now, events_received=F("events_received") + count
        )


def channel_error_record(*, channel: str, error: str) -> None:
    now = timezone.now()
    ChannelHealth.objects.get_or_create(channel=channel)
    ChannelHealth.objects.filter(channel=channel).update(last_error_at=now, last_error=error[:500])
