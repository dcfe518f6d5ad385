"""A Celery worker killed with SIGKILL in the middle of a send, on real services: a
worker process on the Redis broker and PostgreSQL, sending to the fake Twilio API
over HTTP. The sends it held stay 'sending' until their lease runs out; the sweep
then settles each by looking it up at Twilio first. Counted at the fake: nothing is
lost and nothing is sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from helpdesk.celery import app as celery_app
from tests.factories import deliver
from tests.fake_twilio import FakeTwilio
from tickets import tasks  # noqa: F401  (the tasks the pipeline hands follow-ups to, in this process)
from tickets.models import Direction, Message

REPO = Path(__file__).resolve().parents[2]
LEASE_S = 3

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
        reason="needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
    ),
]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(fake: FakeTwilio, log: Path, **extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "TWILIO_API_BASE_URL": fake.base_url,
        # Long enough that the stalled answer holds the worker until it is killed.
        "TWILIO_HTTP_TIMEOUT": "60",
        "HELPDESK_SEND_LEASE_S": str(LEASE_S),
        "HELPDESK_ALLOW_DEV_SECRETS": "1",
        "PYTHONPATH": str(REPO),
        **extra,
    }
    command = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "prefork", "--concurrency", "2",
               "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]  # fmt: skip
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _wait(condition, *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text(errors='replace')[-4000:]}")


def _queued_reply(phone: str, text: str) -> Message:
    inbound = deliver("sms", phone, "help").message
    return Message.objects.create(
        ticket=inbound.ticket, customer=inbound.customer, channel="sms", direction=Direction.OUT, text=text,
        delivery_status=Message.DeliveryStatus.QUEUED,
    )  # fmt: skip


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(tmp_path):
    fake = FakeTwilio(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN).start()
    log = tmp_path / "worker.log"
    workers: list[subprocess.Popen] = []
    try:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge("celery")
        # One send reaches Twilio and is accepted, one is lost on the way; neither answer
        # comes back before the worker dies.
        fake.lose_next_answer(stall=True, accepted=True)
        fake.lose_next_answer(stall=True, accepted=False)
        replies = {
            "+66810000001": _queued_reply("+66810000001", "Your parcel left the warehouse"),
            "+66810000002": _queued_reply("+66810000002", "Your refund was approved"),
        }
        for reply in replies.values():
            celery_app.send_task("tickets.tasks.deliver_message", args=[reply.pk])

        workers.append(_start_worker(fake, log))
        _wait(lambda: len(fake.sent) == 2, timeout=40, what="both sends to reach the fake Twilio", log=log)
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)

        held = Message.objects.filter(pk__in=[reply.pk for reply in replies.values()])
        statuses = set(held.values_list("delivery_status", flat=True))
        assert statuses == {"sending"}, "the killed worker's sends are left 'sending', under their lease"
        assert len(fake.messages) == 1

        # A new worker, which also gets the killed worker's unacknowledged tasks back.
        workers.append(_start_worker(fake, log, CELERY_VISIBILITY_TIMEOUT_S="1"))
        time.sleep(LEASE_S + 0.5)
        celery_app.send_task("tickets.tasks.sweep_interrupted_sends")

        def settled() -> bool:
            return all(
                Message.objects.get(pk=reply.pk).delivery_status == "sent" for reply in replies.values()
            )

        _wait(settled, timeout=40, what="the interrupted sends to settle", log=log)
        for phone, reply in replies.items():
            created = [message for message in fake.messages if message["to"] == phone]
            assert len(created) == 1, f"{phone} got {len(created)} messages"
            reply.refresh_from_db()
            assert reply.external_id == created[0]["sid"]
            assert reply.delivery_lease_until is None
        # The accepted one was found by the lookup, never sent again: three POSTs in all.
        assert len(fake.sent) == 3
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
        fake.stop()
