"""Agent presence (online, away, offline), kept right with any number of server
processes: open connections are counted in the shared cache (Redis in production),
and a heartbeat refreshes last_seen_at, so a process that died without saying
goodbye is swept offline once its heartbeats stop."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from tickets import events
from tickets.models import AgentProfile

Presence = AgentProfile.Presence
HEARTBEAT_S = 30
# Three missed heartbeats and an agent is gone.
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_S)


def _connections_key(user_id: int) -> str:
    return f"console:connections:{user_id}"


def _publish(user_id: int, presence: str) -> None:
    events.publish_on_commit([events.CONSOLE_GROUP], {"type": "agent.presence", "user": user_id, "presence": presence})


def _set(user_id: int, presence: str, *, only_if: list[str] | None = None) -> bool:
    profiles = AgentProfile.objects.filter(user_id=user_id)
    if only_if is not None:
        profiles = profiles.filter(presence__in=only_if)
    changed = profiles.exclude(presence=presence).update(presence=presence)
    if changed:
        _publish(user_id, presence)
    return bool(changed)


def presence_connect(*, user_id: int) -> None:
    """A console connection opened. An agent who chose 'away' stays away."""
    key = _connections_key(user_id)
    cache.add(key, 0, timeout=None)
    cache.incr(key)
    AgentProfile.objects.filter(user_id=user_id).update(last_seen_at=timezone.now())
    _set(user_id, Presence.ONLINE, only_if=[Presence.OFFLINE])


def presence_disconnect(*, user_id: int) -> None:
    """A console connection closed; the last one takes the agent offline."""
    key = _connections_key(user_id)
    try:
        remaining = cache.decr(key)
    except ValueError:  # the counter expired or was swept: nothing is known to be open
        remaining = 0
    if remaining <= 0:
        cache.delete(key)
        _set(user_id, Presence.OFFLINE)


def presence_heartbeat(*, user_id: int) -> None:
    AgentProfile.objects.filter(user_id=user_id).update(last_seen_at=timezone.now())
    _set(user_id, Presence.ONLINE, only_if=[Presence.OFFLINE])


def presence_set(*, user_id: int, presence: str) -> None:
    """The agent's own toggle between online and away."""
    if presence not in (Presence.ONLINE, Presence.AWAY):
        raise ValueError(f"an agent can only choose online or away, not {presence!r}")
    _set(user_id, presence)


def presence_sweep(*, now=None) -> int:
    """Takes offline every agent whose heartbeats stopped (a crashed process never
    sent its disconnects). Run by Celery beat."""
    now = now or timezone.now()
    stale = AgentProfile.objects.exclude(presence=Presence.OFFLINE).filter(last_seen_at__lt=now - STALE_AFTER)
    user_ids = list(stale.values_list("user_id", flat=True))
    for user_id in user_ids:
        cache.delete(_connections_key(user_id))
        _set(user_id, Presence.OFFLINE)
    return len(user_ids)
