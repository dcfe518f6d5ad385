"""Signed Twilio and LINE webhooks per second through the real HTTP stack.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] python bench/webhooks.py [--quick] [-n 10000]

Starts `uvicorn helpdesk.asgi:application --workers 2` on a free port, on a database
of its own (created beside DATABASE_URL's, migrated, dropped at the end; a temporary
SQLite file when DATABASE_URL is unset), and fires signed SMS and WhatsApp webhooks
at it from a bounded pool of keep-alive connections (a closed loop: each connection
sends its next request when the last is answered). Each request is verified
(X-Twilio-Signature), parsed, stored as a raw event and answered with TwiML; the
server's pipeline worker then processes the stored events in batches (deduplication,
customer, ticket, message, outbox), and the run waits for it before LINE's turn and
at the end. The mix: 45% SMS, 45% WhatsApp, 5% MMS with one media URL, 5% redeliveries
of a MessageSid already sent; Thai and English text; 20% of senders write again.
Then, on the same server, as many LINE webhooks (X-Line-Signature over the JSON body):
80% one text message, 8% a sticker, 4% an image, 3% a batch of three events, 5%
redeliveries (isRedelivery) of an event already sent. Both are reported side by side.

Follow-up tasks (auto-acknowledgement, media fetching, ...) are enqueued to an
in-process broker and not run: workers run them, not the web process. Realtime
events go through Redis when REDIS_URL is set. Database connections come from
psycopg's pool (DB_POOL, on by default for PostgreSQL): each server process runs its
requests on a few long-lived threads (helpdesk/asgi.py), and a request borrows a
pooled connection and hands it back before its answer is sent. No connection is
opened per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    ROOT,
    database_description,
    django_setup,
    percentiles,
    print_machine,
    print_result,
    throwaway_database,
)

TEXTS = [
    "สวัสดีครับ พัสดุของผมยังไม่ถึงเลยครับ เลขพัสดุ TH{n}",
    "ขอเปลี่ยนที่อยู่จัดส่งได้ไหมคะ",
    "Hi, I was charged twice for order #{n}, can you check?",
    "How do I reset my password?",
    "ขอบคุณมากค่ะ",
    "My parcel {n} says delivered but I have nothing",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_requests(*, n: int, base_url: str, token: str, rng: random.Random) -> list[tuple[str, str, dict]]:
    """(path, body, headers) of every request, signed, built before the clock starts."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(token)
    senders = [f"+668{rng.randrange(10_000_000, 99_999_999)}" for _ in range(max(1, int(n * 0.8)))]
    sent: list[dict] = []
    requests = []
    for index in range(n):
        roll = rng.random()
        if sent and roll < 0.05:
            params = rng.choice(sent)  # a redelivery: Twilio retried
            path = "/webhooks/twilio/whatsapp/" if params["From"].startswith("whatsapp:") else "/webhooks/twilio/sms/"
        else:
            phone = rng.choice(senders)
            whatsapp = roll >= 0.5
            sid = "SM" + uuid.UUID(int=rng.getrandbits(128)).hex
            params = {
                "MessageSid": sid,
                "SmsSid": sid,
                "AccountSid": "AC" + "0" * 32,
                "From": f"whatsapp:{phone}" if whatsapp else phone,
                "To": "whatsapp:+6620000000" if whatsapp else "+6620000000",
                "Body": rng.choice(TEXTS).format(n=index),
                "NumMedia": "0",
            }
            if whatsapp:
                params["ProfileName"] = rng.choice(["สมชาย", "Nok", "Ploy", "John"])
            if 0.45 <= roll < 0.5:
                params["NumMedia"] = "1"
                params["MediaUrl0"] = f"https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/{sid}/Media/ME{index}"
                params["MediaContentType0"] = "image/jpeg"
            path = "/webhooks/twilio/whatsapp/" if whatsapp else "/webhooks/twilio/sms/"
            sent.append(params)
        signature = validator.compute_signature(base_url + path, params)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        requests.append((path, urlencode(params), headers))
    return requests


def build_line_requests(*, n: int, secret: str, rng: random.Random) -> list[tuple[str, str, dict]]:
    """(path, body, headers) of LINE webhooks, signed with the channel secret."""
    import base64
    import hashlib
    import hmac
    import json

    users = ["U" + uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(max(1, int(n * 0.8)))]
    sent: list[dict] = []
    requests = []

    def message_event(index: int) -> dict:
        roll = rng.random()
        message_id = str(rng.randrange(10**17, 10**18))
        if roll < 0.08:
            message = {"type": "sticker", "id": message_id, "packageId": "446", "stickerId": "1988",
                       "stickerResourceType": "STATIC", "keywords": ["OK", "Happy"]}  # fmt: skip
        elif roll < 0.12:
            message = {"type": "image", "id": message_id, "contentProvider": {"type": "line"}}
        else:
            message = {"type": "text", "id": message_id, "text": rng.choice(TEXTS).format(n=index)}
        return {
            "type": "message", "mode": "active", "timestamp": 1733300000000 + index,
            "source": {"type": "user", "userId": rng.choice(users)},
            "webhookEventId": "01J" + uuid.UUID(int=rng.getrandbits(128)).hex[:23].upper(),
            "deliveryContext": {"isRedelivery": False}, "replyToken": uuid.UUID(int=rng.getrandbits(128)).hex,
            "message": message,
        }  # fmt: skip

    for index in range(n):
        roll = rng.random()
        if sent and roll < 0.05:
            events = [{**rng.choice(sent), "deliveryContext": {"isRedelivery": True}}]
        else:
            events = [message_event(index) for _ in range(3 if roll > 0.97 else 1)]
            sent.extend(events)
        body = json.dumps({"destination": "U" + "0" * 32, "events": events}, ensure_ascii=False).encode()
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        requests.append(("/webhooks/line/", body, {"Content-Type": "application/json", "X-Line-Signature": signature}))
    return requests


def _line_message_ids(requests: list[tuple[str, str, dict]]) -> set[str]:
    import json

    return {event["message"]["id"] for _, body, _ in requests for event in json.loads(body)["events"]}


async def fire(
    base_url: str, requests: list, *, concurrency: int, seconds: float = 0
) -> tuple[list[float], dict[int, int], float]:
    """Sends the requests from `concurrency` workers over keep-alive connections,
    all of them or as many as fit in `seconds` (0: no limit). Returns the latencies
    (s), the status counts and the wall-clock time."""
    import aiohttp

    queue: asyncio.Queue = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    began = time.perf_counter()
    async with aiohttp.ClientSession(base_url, connector=connector) as session:

        async def worker() -> None:
            while not queue.empty() and not (seconds and time.perf_counter() - began > seconds):
                path, body, headers = queue.get_nowait()
                start = time.perf_counter()
                async with session.post(path, data=body, headers=headers) as response:
                    await response.read()
                latencies.append(time.perf_counter() - start)
                statuses[response.status] = statuses.get(response.status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return latencies, statuses, elapsed


def _wait_for_processing(event_model, *, timeout: float) -> float:
    """Webhooks answer once their event is stored; the server's pipeline worker
    processes it just after. Waits until no event is left to process (or the
    timeout) and returns how long that took."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if not event_model.objects.filter(status="received").exists():
            break
        time.sleep(0.2)
    return time.perf_counter() - began


def start_server(port: int, env: dict[str, str], workers: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "uvicorn", "helpdesk.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"uvicorn exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("uvicorn did not start within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="A run of under a minute.")
    parser.add_argument("-n", type=int, default=None, help="Webhooks to send (default 10000, quick 1000).")
    parser.add_argument("--concurrency", type=int, default=8, help="Connections kept open (default 8).")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2).")
    parser.add_argument("--seconds", type=float, default=None, help="Stop sending after this (quick: 25 s).")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = args.n or (1000 if args.quick else 10_000)
    seconds = args.seconds if args.seconds is not None else (25 if args.quick else 0)
    warmup = min(50 if args.quick else 200, n // 10)

    with throwaway_database("webhooks") as database_url:
        django_setup()
        from tickets.models import Customer, InboundEvent, Message

        db = database_description()
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        token = uuid.uuid4().hex
        line_secret = uuid.uuid4().hex
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HELPDESK_PUBLIC_URL": base_url,
            "TWILIO_AUTH_TOKEN": token,
            "LINE_CHANNEL_SECRET": line_secret,
            # Profiles and content are fetched by workers, which this benchmark does not run.
            "LINE_API_BASE_URL": "http://127.0.0.1:9",
            "LINE_API_DATA_BASE_URL": "http://127.0.0.1:9",
            # The other secrets keep their development values on this throwaway server.
            "HELPDESK_ALLOW_DEV_SECRETS": "1",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": "memory://localhost/",
            "LOG_LEVEL": "WARNING",
        }
        rng = random.Random(args.seed)
        all_requests = build_requests(n=warmup + n, base_url=base_url, token=token, rng=rng)
        line_requests = build_line_requests(n=warmup + n, secret=line_secret, rng=rng)
        server = start_server(port, env, args.workers)
        try:
            asyncio.run(fire(base_url, all_requests[:warmup], concurrency=args.concurrency))
            latencies, statuses, elapsed = asyncio.run(
                fire(base_url, all_requests[warmup:], concurrency=args.concurrency, seconds=seconds)
            )
            # LINE's turn starts once the Twilio backlog is processed, so each is measured alone.
            _wait_for_processing(InboundEvent, timeout=60)
            asyncio.run(fire(base_url, line_requests[:warmup], concurrency=args.concurrency))
            line_latencies, line_statuses, line_elapsed = asyncio.run(
                fire(base_url, line_requests[warmup:], concurrency=args.concurrency, seconds=seconds)
            )
            drained_s = _wait_for_processing(InboundEvent, timeout=60)
        finally:
            stop_server(server)

        messages = Message.objects.exclude(channel="line").count()
        events = InboundEvent.objects.exclude(channel="line").count()
        line_messages = Message.objects.filter(channel="line").count()
        line_events = InboundEvent.objects.filter(channel="line").count()
        line_expected = len(_line_message_ids(line_requests[: warmup + len(line_latencies)]))
        customers = Customer.objects.count()
        failed = InboundEvent.objects.filter(status=InboundEvent.Status.FAILED).count()
        fired = all_requests[: warmup + len(latencies)]
        expected_messages = len({body.split("MessageSid=", 1)[1].split("&", 1)[0] for _, body, _ in fired})

        rate = len(latencies) / elapsed
        points = percentiles(latencies, (50, 95, 99))
        ok = statuses.get(200, 0)
        print_machine(db)
        print(f"server:    uvicorn --workers {args.workers}, client: {args.concurrency} keep-alive connections")
        print(
            f"requests:  {len(latencies)} signed webhooks (+{warmup} warm-up), {ok} answered 200, statuses {statuses}"
        )
        print(f"data:      {messages} messages ({expected_messages} distinct MessageSids), {events} raw events, "
              f"{customers} customers, {failed} failed events")  # fmt: skip
        print(f"rate:      {rate:.1f} webhooks/s over {elapsed:.1f} s")
        print(
            f"latency:   mean {statistics.fmean(latencies) * 1000:.1f} ms, p50 {points['p50'] * 1000:.1f} ms, "
            f"p95 {points['p95'] * 1000:.1f} ms, p99 {points['p99'] * 1000:.1f} ms"
        )
        line_rate = len(line_latencies) / line_elapsed
        line_points = percentiles(line_latencies, (50, 95, 99))
        line_ok = line_statuses.get(200, 0)
        print(f"LINE:      {len(line_latencies)} signed webhooks (+{warmup} warm-up), {line_ok} answered 200, "
              f"statuses {line_statuses}")  # fmt: skip
        print(f"LINE data: {line_messages} messages ({line_expected} distinct message ids), {line_events} raw events; "
              f"the last event was processed {drained_s:.1f} s after the last answer")  # fmt: skip
        print(
            f"LINE rate: {line_rate:.1f} webhooks/s over {line_elapsed:.1f} s; latency mean "
            f"{statistics.fmean(line_latencies) * 1000:.1f} ms, p50 {line_points['p50'] * 1000:.1f} ms, "
            f"p95 {line_points['p95'] * 1000:.1f} ms, p99 {line_points['p99'] * 1000:.1f} ms"
        )
        if messages != expected_messages or ok != len(latencies) or failed:
            print("WARNING: not every webhook was stored exactly once", file=sys.stderr)
        if line_messages != line_expected or line_ok != len(line_latencies):
            print("WARNING: not every LINE message was stored exactly once", file=sys.stderr)
        print_result(
            "webhooks",
            req_per_s=round(rate, 1),
            p50_ms=round(points["p50"] * 1000, 2),
            p95_ms=round(points["p95"] * 1000, 2),
            p99_ms=round(points["p99"] * 1000, 2),
            n=len(latencies),
            ok=ok,
            messages=messages,
            line_req_per_s=round(line_rate, 1),
            line_p50_ms=round(line_points["p50"] * 1000, 2),
            line_p95_ms=round(line_points["p95"] * 1000, 2),
            line_p99_ms=round(line_points["p99"] * 1000, 2),
            line_n=len(line_latencies),
            line_ok=line_ok,
            line_messages=line_messages,
            concurrency=args.concurrency,
            workers=args.workers,
            database=db["engine"],
            cores=os.cpu_count(),
        )


if __name__ == "__main__":
    main()
