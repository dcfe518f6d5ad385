"""How the pipeline worker is woken: after the commit in its own process, or,
where the servers only accept, through PostgreSQL's NOTIFY; its poll stays the
safety net, and a broken listening connection is opened anew."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection, transaction

from tickets import pipeline_worker
from tickets.inbound import InboundMessage
from tickets.services.ingest import inbound_accept

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="LISTEN and NOTIFY are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

# Far longer than a wake takes, and far shorter than the poll the tests set.
WAKE_WITHIN_S = 2.0


def _listening_connection() -> psycopg.Connection:
    listener = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    listener.execute(f"LISTEN {pipeline_worker.NOTIFY_CHANNEL}")
    return listener


def _accept() -> None:
    inbound_accept(InboundMessage(channel="sms", external_id="SMnotify1", sender="+66812345678", text="hi"))


@pytest.mark.parametrize(
    "write", [_accept, pipeline_worker.wake_after_commit], ids=["an accepted event", "outbox rows"]
)
def test_a_server_that_only_accepts_notifies_the_workers_when_its_write_commits(monkeypatch, write):
    monkeypatch.setattr(pipeline_worker, "runs_inline", lambda: False)
    monkeypatch.setattr(pipeline_worker, "_accept_only", True)
    listener = _listening_connection()
    try:
        with transaction.atomic():
            write()
            assert list(listener.notifies(timeout=0.2)) == []  # not before the write is visible
        notified = list(listener.notifies(timeout=WAKE_WITHIN_S, stop_after=1))
        assert [notify.channel for notify in notified] == [pipeline_worker.NOTIFY_CHANNEL]
    finally:
        listener.close()


@pytest.fixture
def counted_worker(monkeypatch):
    """A worker whose passes only count, and whose poll would take a minute."""
    monkeypatch.setattr(pipeline_worker, "POLL_S", 60.0)
    passes = threading.Semaphore(0)

    def counting_pass() -> int:
        passes.release()
        return 0

    monkeypatch.setattr(pipeline_worker, "pipeline_pass", counting_pass)
    worker = pipeline_worker._Worker()
    assert passes.acquire(timeout=10), "the first pass, when the worker starts"
    yield worker, passes
    worker.stopping.set()
    worker.wake()
    worker.thread.join(timeout=10)
    assert not worker.thread.is_alive()


def _woken_within(passes: threading.Semaphore, seconds: float) -> bool:
    began = time.monotonic()
    return passes.acquire(timeout=seconds) and time.monotonic() - began < seconds


def test_a_worker_runs_a_pass_as_soon_as_it_is_notified_or_woken(counted_worker):
    worker, passes = counted_worker
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [pipeline_worker.NOTIFY_CHANNEL])
    assert _woken_within(passes, WAKE_WITHIN_S), "woken by another process's NOTIFY"
    worker.wake()
    assert _woken_within(passes, WAKE_WITHIN_S), "woken in its own process"


def test_a_worker_whose_listening_connection_breaks_listens_again(counted_worker):
    worker, passes = counted_worker
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [worker.listener.info.backend_pid])
    # It listens anew and looks for what was committed meanwhile.
    assert _woken_within(passes, WAKE_WITHIN_S)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [pipeline_worker.NOTIFY_CHANNEL])
    assert _woken_within(passes, WAKE_WITHIN_S)
