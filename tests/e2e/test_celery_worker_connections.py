"""A Celery worker's pool child keeps its PostgreSQL connections from one task to
the next, as a server process keeps them from one request to the next. Celery's
Django fixup would close psycopg's whole pool around every task (two new
connections a task), and at a child's start close it under the child's pipeline
worker."""

from __future__ import annotations

import time

import pytest
import redis as redis_client
from django.conf import settings
from django.db import connection

from helpdesk.celery import app
from tests.e2e.brokers import CeleryWorker, PrivateRedis, free_port, wait_for
from tests.e2e.conftest import database_url
from tests.e2e.servers import server_env

pytestmark = pytest.mark.services

TASKS = 40


def sessions_opened() -> int:
    """PostgreSQL sessions ever opened on this database (a backend counts itself when
    it reports its statistics, at the latest when it exits)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_a_worker_runs_many_tasks_on_the_connections_it_has(transactional_db, tmp_path):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("psycopg's pool is PostgreSQL's")
    broker = PrivateRedis(port=free_port(), log_dir=tmp_path)
    broker.start()
    extra = {"REDIS_URL": broker.url, "CELERY_BROKER_URL": broker.url, "CELERY_TASK_ALWAYS_EAGER": "false"}
    env = server_env(db_url=database_url(), media_root=tmp_path / "media", secret_key=settings.SECRET_KEY, extra=extra)
    worker = CeleryWorker(env=env, log_path=tmp_path / "worker.log")
    worker.start()
    queue = redis_client.Redis.from_url(broker.url)
    # Sent to the test's own broker; the helpdesk's app stays the current one.
    sender = app.connection_for_write(broker.url)
    try:
        # The first task waits for the pool child to be up and connected.
        app.send_task("tickets.tasks.sweep_agent_presence", connection=sender)
        wait_for(lambda: queue.llen("celery") == 0 and not queue.hlen("unacked"), timeout=60, what="the first task")
        time.sleep(1.5)
        before = sessions_opened()
        for _ in range(TASKS):
            app.send_task("tickets.tasks.sweep_agent_presence", connection=sender)
        wait_for(lambda: queue.llen("celery") == 0 and not queue.hlen("unacked"), timeout=60, what=f"{TASKS} tasks")
        # A backend that came and went has reported itself by now.
        time.sleep(1.5)
        opened = sessions_opened() - before
    finally:
        sender.release()
        worker.stop()
        broker.stop()
    log = worker.log_tail(200)
    assert opened <= 2, f"{opened} PostgreSQL sessions opened for {TASKS} tasks\n{log}"
    assert "is closed" not in log and "Traceback" not in log, log
