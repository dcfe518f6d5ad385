"""One signed webhook through a real ASGI server over real HTTP (uvicorn in a
thread, on a free port), as Twilio would deliver it."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlencode

import pytest
import requests
import uvicorn
from django.core.asgi import get_asgi_application

from channels_app.twilio.webhooks import EMPTY_TWIML
from tests.channels_app.twilio.twilio_posts import sign, sms_params
from tickets.models import Message


@pytest.fixture
def asgi_server():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(get_asgi_application(), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.mark.django_db(transaction=True)
def test_signed_webhook_over_real_http(asgi_server, fake_twilio, settings):
    # Twilio signs the public URL it was given; here the server is that URL.
    settings.HELPDESK_PUBLIC_URL = asgi_server
    params = sms_params("ขอสอบถามหน่อยครับ")
    url = asgi_server + "/webhooks/twilio/sms/"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    forged = requests.post(url, data=urlencode(params), headers={**headers, "X-Twilio-Signature": "x"}, timeout=10)
    signed = requests.post(
        url, data=urlencode(params), headers={**headers, "X-Twilio-Signature": sign(url, params)}, timeout=10
    )

    assert forged.status_code == 403
    assert (signed.status_code, signed.headers["Content-Type"], signed.text) == (200, "text/xml", EMPTY_TWIML)
    assert Message.objects.get(direction="in").text == "ขอสอบถามหน่อยครับ"
