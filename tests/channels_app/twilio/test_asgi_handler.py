"""The ASGI handler the servers run (helpdesk.asgi), over real HTTP: requests run on a
few long-lived threads, and each hands its database connection back before the next."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import requests
import uvicorn
from django.conf import settings

from channels_app.twilio.webhooks import EMPTY_TWIML
from tests.channels_app.twilio.twilio_posts import sign, sms_params
from tests.factories import deliver
from tickets.models import InboundEvent, Message


@pytest.fixture
def helpdesk_server():
    from helpdesk.asgi import REQUEST_THREADS, SynchronousRequestHandler

    handler = SynchronousRequestHandler()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(handler, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", REQUEST_THREADS
    server.should_exit = True
    thread.join(timeout=10)
    handler.threads.shutdown()
    sock.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_signed_webhooks_are_each_answered_and_stored_once(helpdesk_server, fake_twilio, settings):
    base_url, request_threads = helpdesk_server
    settings.HELPDESK_PUBLIC_URL = base_url
    url = base_url + "/webhooks/twilio/sms/"
    # More requests at once than the server has threads, each sent twice (a redelivery).
    posts = [
        sms_params(f"ข้อความที่ {n}", sid=f"SM{n:032d}", sender=f"+6681000{n:04d}") for n in range(request_threads * 3)
    ] * 2

    def post(params: dict) -> requests.Response:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign(url, params)}
        return requests.post(url, data=urlencode(params), headers=headers, timeout=30)

    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        answers = list(pool.map(post, posts))

    assert {(a.status_code, a.text) for a in answers} == {(200, EMPTY_TWIML)}
    assert Message.objects.filter(direction="in").count() == request_threads * 3
    assert not InboundEvent.objects.filter(status=InboundEvent.Status.FAILED).exists()


@pytest.mark.django_db(transaction=True)
def test_refusals_and_unknown_pages_answer_as_before(helpdesk_server, settings):
    base_url, _ = helpdesk_server
    settings.HELPDESK_PUBLIC_URL = base_url
    url = base_url + "/webhooks/twilio/sms/"

    forged = requests.post(url, data=urlencode(sms_params("hi")), headers={"X-Twilio-Signature": "x"}, timeout=10)
    missing = requests.get(base_url + "/no-such-page/", timeout=10)

    assert forged.status_code == 403
    assert missing.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_streamed_csv_export_arrives_whole_when_it_outgrows_memory(helpdesk_server, supervisor, monkeypatch):
    """The export is read on the request's thread into a file that spills to disk past
    its in-memory size, then sent: every row arrives, in order."""
    from tests.e2e.servers import session_cookie_for

    monkeypatch.setattr("helpdesk.asgi.SPOOL_IN_MEMORY_BYTES", 256)
    base_url, _threads = helpdesk_server
    tickets = [deliver("sms", f"+6681234{n:04d}", f"ช่วยด้วย {n}").ticket for n in range(12)]
    cookie = session_cookie_for(supervisor, url=base_url)
    day = tickets[0].created_at.astimezone(ZoneInfo(settings.TIME_ZONE)).date().isoformat()

    answer = requests.get(
        base_url + "/console/dashboard/export.csv",
        params={"from": day, "to": day},
        cookies={cookie["name"]: cookie["value"]},
        timeout=30,
    )

    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert len(answer.content) > 256
    rows = answer.content.decode().splitlines()
    assert len(rows) == 1 + len(tickets)
    assert sorted(int(row.split(",")[0]) for row in rows[1:]) == sorted(ticket.pk for ticket in tickets)
