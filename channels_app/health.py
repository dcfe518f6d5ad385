"""The channels' health for the admin: the last event each webhook took, and the
last error it met.

Every webhook request of a channel would otherwise update the same row, and wait
for each other's row lock: each process counts its events and writes them at most
every CHANNEL_HEALTH_FLUSH_S seconds, so the admin's "last event" is that fresh."""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from channels_app.models import ChannelHealth

_lock = threading.Lock()
# channel -> [monotonic time of the last write, events counted since]
_pending: dict[str, list[float]] = {}


def channel_event_record(*, channel: str, count: int = 1) -> None:
    now = time.monotonic()
    with _lock:
        last_write, counted = _pending.get(channel, [float("-inf"), 0])
        counted += count
        if now - last_write < settings.CHANNEL_HEALTH_FLUSH_S:
            _pending[channel] = [last_write, counted]
            return
        _pending[channel] = [now, 0]
    _write(channel, int(counted))


def _write(channel: str, count: int) -> None:
    now = timezone.now()
    if ChannelHealth.objects.filter(channel=channel).update(
        last_event_at=now, events_received=F("events_received") + count
    ):
        return
    try:
        with transaction.atomic():
            ChannelHealth.objects.create(channel=channel, last_event_at=now, events_received=count)
    except IntegrityError:  # created meanwhile by another process
        ChannelHealth.objects.filter(channel=channel).update(
            last_event_at=now, events_received=F("events_received") + count
        )


def channel_error_record(*, channel: str, error: str) -> None:
    now = timezone.now()
    ChannelHealth.objects.get_or_create(channel=channel)
    ChannelHealth.objects.filter(channel=channel).update(last_error_at=now, last_error=error[:500])
