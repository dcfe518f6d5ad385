"""The pipeline worker: one daemon thread per process that processes accepted
inbound events in batches and relays the outbox to the broker.

It runs in every Celery worker process, and in the server processes unless
HELPDESK_PIPELINE_IN_SERVERS is off: then a server only accepts, and its requests
do not share the interpreter with the batches. A server that runs one wakes it
after the commit that accepted an event or wrote an outbox row; one that does not
wakes the workers elsewhere with PostgreSQL's NOTIFY, which the commit delivers,
and each worker waits with LISTEN on a connection of its own. Either way work
follows within milliseconds of the answer. Every POLL_S seconds a worker also
looks for what was left without a wake (a crash, a broker outage, a lost
notification). Several processes run one each: the queue and the outbox are
shared through SKIP LOCKED, and each conversation through its advisory lock. A
database or broker outage makes it wait and try again; it never exits."""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading

from celery import current_app
from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

POLL_S = 1.0
# After a failure (the database unreachable, say): 1, 2, 4 ... 30 s.
MAX_BACKOFF_S = 30.0
NOTIFY_CHANNEL = "helpdesk_pipeline"
# An expression of any statement of the accepting transaction: the commit delivers it.
NOTIFY_SQL = f"pg_notify('{NOTIFY_CHANNEL}', '')"


def runs_inline() -> bool:
    """True where Celery runs eagerly (no broker): the caller processes at once."""
    return bool(current_app.conf.task_always_eager)


class _Worker:
    def __init__(self) -> None:
        self.pid = os.getpid()
        # The in-process wake is a byte on a pipe, so that one select() waits for it
        # and for the LISTEN connection's notifications together.
        self.wake_fd, self.waker_fd = os.pipe()
        os.set_blocking(self.wake_fd, False)
        os.set_blocking(self.waker_fd, False)
        self.listener = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pipeline-worker", daemon=True)
        self.thread.start()

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe: a wake is pending anyway
            os.write(self.waker_fd, b"\0")

    def _run(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            try:
                # Listening before the pass: what commits after the pass's read is notified.
                self._listen()
                while pipeline_pass() > 0:
                    pass  # a full batch: there may be more right behind it
                failures = 0
            except Exception:
                failures += 1
                if failures == 1 or failures % 20 == 0:
                    logger.exception("pipeline worker: pass failed (%d in a row); trying again", failures)
                # A broken connection is opened anew on the next pass.
                connection.close()
                self._unlisten()
            self._wait(POLL_S if failures == 0 else min(MAX_BACKOFF_S, 2.0 ** (failures - 1)))
        connection.close()
        self._unlisten()
        os.close(self.wake_fd)
        os.close(self.waker_fd)

    def _wait(self, timeout: float) -> None:
        waiting_on = [self.wake_fd] if self.listener is None else [self.wake_fd, self.listener.fileno()]
        try:
            select.select(waiting_on, [], [], timeout)
            with contextlib.suppress(BlockingIOError):
                os.read(self.wake_fd, 4096)
            if self.listener is not None:
                for _ in self.listener.notifies(timeout=0):
                    pass  # one pass serves every notification received so far
        except Exception:
            # The listening connection broke: the next pass opens it anew.
            self._unlisten()

    def _listen(self) -> None:
        if self.listener is not None or connection.vendor != "postgresql":
            return
        import psycopg

        params = connection.get_connection_params()
        self.listener = psycopg.connect(**params, autocommit=True)
        self.listener.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def _unlisten(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                listener.close()


def pipeline_pass() -> int:
    """One batch of accepted events, then the outbox; returns how much it did."""
    from tickets.services.inbound_queue import inbound_events_process_pending
    from tickets.services.outbox import outbox_relay

    processed = inbound_events_process_pending()
    return processed + outbox_relay()


_worker: _Worker | None = None
_lock = threading.Lock()
# Set in a server process that leaves the processing to the Celery workers.
_accept_only = False


def start() -> None:
    """Starts this process's worker, once; a forked child starts its own."""
    global _worker
    if runs_inline() or _accept_only:
        return
    if _worker is None or _worker.pid != os.getpid():
        with _lock:
            if _worker is None or _worker.pid != os.getpid():
                _worker = _Worker()


def start_in_server() -> None:
    """A server process runs its own worker, or with HELPDESK_PIPELINE_IN_SERVERS off
    only accepts, and wakes the workers of other processes."""
    global _accept_only
    _accept_only = not settings.HELPDESK_PIPELINE_IN_SERVERS
    start()


def wake() -> None:
    start()
    if _worker is not None:
        _worker.wake()


def wakes_by_notify() -> bool:
    """True in a server that only accepts, on PostgreSQL: what it commits wakes the
    workers of other processes through NOTIFY. Elsewhere (SQLite) they poll."""
    return _accept_only and not runs_inline() and connection.vendor == "postgresql"


def wake_after_commit() -> None:
    """Called inside the transaction that accepted an event or wrote outbox rows."""
    if wakes_by_notify():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {NOTIFY_SQL}")
    elif not _accept_only:
        transaction.on_commit(wake)


def stop() -> None:
    """Stops this process's worker after its current pass and closes its connections:
    a bench's teardown, before it drops its database."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None and worker.pid == os.getpid():
        worker.stopping.set()
        worker.wake()
        worker.thread.join()


def _renew_lock_after_fork() -> None:
    # The parent may have forked while another of its threads held the lock.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_lock_after_fork)
