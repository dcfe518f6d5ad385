"""Realtime events published from plain sync code (Celery workers, management
commands) through the Redis channel layer: delivered to a subscriber elsewhere, in
order, from forked children, and at exit."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery.signals import worker_process_shutdown

from tickets import events

REDIS_URL = os.environ.get("REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="REDIS_URL is not set: these tests need a Redis server for the channel layer"
)


@pytest.fixture(autouse=True)
def _redis_channel_layer(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
    # Each test starts without a sender, as a fresh process would.
    monkeypatch.setattr(events, "_publisher", None)
    yield
    events.flush_pending_events(timeout=5)


def receive(group: str, *, count: int, publish, settle: float = 0.5) -> list[dict]:
    """Subscribes to `group` in an event loop of its own, with a channel layer of its
    own, runs `publish` in a plain thread, and returns the events that arrived:
    `count` of them, and any extra that came within `settle` seconds after."""
    from channels_redis.core import RedisChannelLayer

    async def run() -> list[dict]:
        layer = RedisChannelLayer(hosts=[REDIS_URL])
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            await asyncio.to_thread(publish)
            received = []
            async with asyncio.timeout(10):
                while len(received) < count:
                    received.append((await layer.receive(channel))["event"])
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(settle):
                    while True:
                        received.append((await layer.receive(channel))["event"])
            return received
        finally:
            await layer.group_discard(group, channel)
            await layer.close_pools()

    return asyncio.run(run())


def new_group() -> str:
    return f"test-{uuid.uuid4().hex}"


def test_an_event_from_sync_code_reaches_a_subscriber_in_another_event_loop():
    group = new_group()

    received = receive(group, count=1, publish=lambda: events.send_event([group], {"type": "ticket.changed", "n": 1}))

    assert received == [{"type": "ticket.changed", "n": 1}]


def test_publishing_returns_before_redis_answers():
    group = new_group()
    started = time.perf_counter()
    for n in range(200):
        events.send_event([group, new_group(), new_group()], {"type": "ticket.changed", "n": n})
    # Three groups through Redis cost milliseconds per event; handing over, microseconds.
    assert time.perf_counter() - started < 0.5
    assert events.flush_pending_events(timeout=30)


def test_events_arrive_in_the_order_they_were_published():
    group = new_group()

    def publish():
        for n in range(100):
            events.send_event([group], {"type": "message.created" if n == 0 else "message.status", "n": n})

    received = receive(group, count=100, publish=publish)

    assert [event["n"] for event in received] == list(range(100))
    assert received[0]["type"] == "message.created"


def _publish_in_child(group: str) -> None:
    events.send_event([group], {"type": "from-child", "pid": os.getpid()})
    # As a Celery prefork pool child ends: the shutdown signal, then os._exit, which
    # skips atexit. The helpdesk's signal handler must have flushed the event.
    worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
    os._exit(0)


def test_a_forked_child_publishes_through_its_own_sender_and_never_repeats_the_parents():
    group = new_group()

    def publish():
        events.send_event([group], {"type": "from-parent", "pid": os.getpid()})
        child = multiprocessing.get_context("fork").Process(target=_publish_in_child, args=(group,))
        child.start()
        child.join(20)
        assert child.exitcode == 0
        events.send_event([group], {"type": "from-parent-after-fork", "pid": os.getpid()})

    received = receive(group, count=3, publish=publish, settle=1.0)

    kinds = sorted(event["type"] for event in received)
    assert kinds == ["from-child", "from-parent", "from-parent-after-fork"]
    child_event = next(event for event in received if event["type"] == "from-child")
    assert child_event["pid"] != os.getpid()


def test_a_process_that_exits_right_after_publishing_loses_nothing():
    group = new_group()
    script = (
        "import django; django.setup()\n"
        "from tickets import events\n"
        f"for n in range(20): events.send_event([{group!r}], {{'type': 'last-words', 'n': n}})\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "REDIS_URL": REDIS_URL}

    def publish():
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=60)

    received = receive(group, count=20, publish=publish)

    assert [event["n"] for event in received] == list(range(20))


def test_an_unanswering_redis_never_blocks_the_caller(settings, monkeypatch, caplog):
    # A server that accepts connections and never answers: each send hangs.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{port}/0", "socket_timeout": 1}]},
            }
        }
        monkeypatch.setattr(events, "PUBLISH_QUEUE_SIZE", 5)
        started = time.perf_counter()
        for n in range(50):
            events.send_event([new_group()], {"type": "ticket.changed", "n": n})
        elapsed = time.perf_counter() - started

    assert elapsed < 0.5
    assert "dropped ticket.changed" in caplog.text
