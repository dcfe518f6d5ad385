"""The pipeline worker: one daemon thread per server or Celery process that processes
accepted inbound events in batches and relays the outbox to the broker.

It is woken after the commit that accepted an event or wrote an outbox row, so work
follows within milliseconds of the answer; it also looks every POLL_S seconds for
what other processes left (a crash, a broker outage). Several processes run one
each: the queue and the outbox are shared through SKIP LOCKED, and each
conversation through its advisory lock. A database or broker outage makes it wait
and try again; it never exits."""

from __future__ import annotations

import logging
import os
import threading

from celery import current_app
from django.db import connection

logger = logging.getLogger(__name__)

POLL_S = 1.0
# After a failure (the database unreachable, say): 1, 2, 4 ... 30 s.
MAX_BACKOFF_S = 30.0


def runs_inline() -> bool:
    """True where Celery runs eagerly (no broker): the caller processes at once."""
    return bool(current_app.conf.task_always_eager)


class _Worker:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pipeline-worker", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            delay = POLL_S if failures == 0 else min(MAX_BACKOFF_S, 2.0 ** (failures - 1))
            self.wakeup.wait(delay)
            self.wakeup.clear()
            if self.stopping.is_set():
                break
            try:
                while pipeline_pass() > 0:
                    pass  # a full batch: there may be more right behind it
                failures = 0
            except Exception:
                failures += 1
                if failures == 1 or failures % 20 == 0:
                    logger.exception("pipeline worker: pass failed (%d in a row); trying again", failures)
                # A broken connection is opened anew on the next pass.
                connection.close()
        connection.close()


def pipeline_pass() -> int:
    """One batch of accepted events, then the outbox; returns how much it did."""
    from tickets.services.inbound_queue import inbound_events_process_pending
    from tickets.services.outbox import outbox_relay

    processed = inbound_events_process_pending()
    return processed + outbox_relay()


_worker: _Worker | None = None
_lock = threading.Lock()


def start() -> None:
    """Starts this process's worker, once; a forked child starts its own."""
    global _worker
    if runs_inline():
        return
    if _worker is None or _worker.pid != os.getpid():
        with _lock:
            if _worker is None or _worker.pid != os.getpid():
                _worker = _Worker()


def wake() -> None:
    start()
    if _worker is not None:
        _worker.wakeup.set()


def stop() -> None:
    """Stops this process's worker after its current pass and closes its connection:
    a bench's teardown, before it drops its database."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None and worker.pid == os.getpid():
        worker.stopping.set()
        worker.wakeup.set()
        worker.thread.join()


def _renew_lock_after_fork() -> None:
    # The parent may have forked while another of its threads held the lock.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_lock_after_fork)
