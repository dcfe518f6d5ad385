"""The write path through real processes: an ASGI server, a Celery worker,
PostgreSQL, and a Redis of the test's own, which the test stops mid-burst, or whose
worker it kills mid-batch. Nothing stored is lost, and nothing is applied twice:
whether the server's pipeline worker processes what its webhooks accept, or the
server only accepts and the worker's pipeline workers, woken through NOTIFY, do."""

from __future__ import annotations

import os
import signal
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings
from twilio.request_validator import RequestValidator

from tests.e2e.brokers import CeleryWorker, PrivateRedis, free_port, wait_for
from tests.e2e.conftest import database_url
from tests.e2e.servers import server_env, start_asgi_server
from tickets.models import Direction, InboundEvent, Message, MessageSentiment, OutboxItem, Ticket

pytestmark = pytest.mark.services


@pytest.fixture(params=["1", "0"], ids=["server processes", "server only accepts"])
def queued_stack(request, transactional_db, tmp_path):
    """A server and a worker that hand work over through a broker (no eager tasks)."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the pipeline workers of several processes share the queue on PostgreSQL")
    redis = PrivateRedis(port=free_port(), log_dir=tmp_path)
    redis.start()
    extra = {
        "REDIS_URL": redis.url,
        "CELERY_BROKER_URL": redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "HELPDESK_SEND_IN_BACKGROUND": "false",
        # Tasks a restarted (empty) Redis lost are handed over again after 3 s.
        "HELPDESK_OUTBOX_LEASE_S": "3",
        "HELPDESK_PIPELINE_IN_SERVERS": request.param,
    }
    env = server_env(db_url=database_url(), media_root=tmp_path / "media", secret_key=settings.SECRET_KEY, extra=extra)
    server = start_asgi_server(env=env, log_dir=tmp_path)
    worker = CeleryWorker(env=env, log_path=tmp_path / "worker.log")
    worker.start()
    yield redis, server, worker
    worker.stop()
    server.stop()
    redis.stop()


def post_sms(server, number: int) -> int:
    path = "/webhooks/twilio/sms/"
    sid = f"SMfault{number:026d}"
    params = {
        "MessageSid": sid, "SmsSid": sid, "AccountSid": settings.TWILIO_ACCOUNT_SID, "From": f"+6689{number:07d}",
        "To": settings.TWILIO_SMS_FROM, "Body": f"My order {number} has not arrived", "NumMedia": "0",
    }  # fmt: skip
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(server.url + path, params)
    request = urllib.request.Request(
        server.url + path, data=urllib.parse.urlencode(params).encode(), headers={"X-Twilio-Signature": signature}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def followups_done(count: int) -> bool:
    """Every message scored once, every ticket acknowledged, nothing left to hand over."""
    acks = Message.objects.filter(direction=Direction.OUT, is_automatic=True).count()
    return MessageSentiment.objects.count() >= count and acks >= count and not OutboxItem.objects.exists()


def assert_each_followup_ran_once(count: int) -> None:
    assert InboundEvent.objects.filter(status=InboundEvent.Status.PROCESSED).count() == count
    assert Ticket.objects.count() == count
    assert Message.objects.filter(direction=Direction.IN).count() == count
    assert MessageSentiment.objects.count() == count
    for ticket in Ticket.objects.all():
        assert Message.objects.filter(ticket=ticket, direction=Direction.OUT, is_automatic=True).count() == 1


def test_a_redis_outage_mid_burst_loses_no_webhook_and_no_follow_up(queued_stack):
    redis, server, worker = queued_stack
    statuses = [post_sms(server, number) for number in range(10)]
    redis.stop()
    statuses += [post_sms(server, number) for number in range(10, 30)]

    # Every webhook was answered once its event was stored, Redis or not.
    assert statuses == [200] * 30, server.log_tail()
    assert InboundEvent.objects.count() == 30
    # Processing needs only the database: the timeline fills while Redis is down.
    wait_for(lambda: Message.objects.filter(direction=Direction.IN).count() == 30, timeout=30, what="processing")

    redis.start()  # empty: whatever the broker held before the outage is gone
    wait_for(lambda: followups_done(30), timeout=90, what=f"the follow-ups\n{worker.log_tail()}")
    assert_each_followup_ran_once(30)
    assert server.process.poll() is None and worker.process.poll() is None


def test_a_worker_killed_mid_batch_loses_nothing_and_applies_nothing_twice(queued_stack):
    _redis, server, worker = queued_stack
    wait_for(worker.pool_children, timeout=30, what="the worker's pool")
    count = 60
    assert [post_sms(server, number) for number in range(count)] == [200] * count
    # Kill the process running the follow-ups once it is part-way through them.
    wait_for(lambda: 0 < MessageSentiment.objects.count() < count, timeout=60, what="a batch under way", interval=0.02)
    for pid in worker.pool_children():
        os.kill(pid, signal.SIGKILL)

    wait_for(lambda: followups_done(count), timeout=120, what=f"the follow-ups\n{worker.log_tail()}")
    assert_each_followup_ran_once(count)
