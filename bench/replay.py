"""Signed Twilio webhooks at a fixed offered rate (open loop) against two server
processes, with duplicates, bad signatures and malformed requests: what is
accepted, refused, stored, lost and duplicated, and how long until the last
follow-up has run.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/replay.py [--quick]
        [-n 10000] [--rate 300] [--sweep 100,200,300,400]

Starts `uvicorn helpdesk.asgi:application --workers 2` and one Celery worker (two
processes) on a database of its own (created beside DATABASE_URL's and dropped at
the end) and on REDIS_URL as the broker, laid out as the README's Production section
says. Each server answers once the raw event is stored and only accepts
(HELPDESK_PIPELINE_IN_SERVERS=0); the pipeline workers of the Celery worker's
processes, woken through PostgreSQL's NOTIFY, process accepted events in batches and
relay the outbox, and the Celery worker runs the follow-ups (assignment, sentiment,
SLA clock, acknowledgement, rules). `--servers-process` runs a pipeline worker in
each server as well, to compare. The acknowledgements go to the dev outbox, not to
Twilio.

The mix: 20% duplicates of a MessageSid already sent (half of them at the same
instant as the first, the rest later), 5% bad signatures (403), 2% malformed
(400). The requests are sent on a fixed schedule whatever the answers, and each
latency counts from the request's scheduled time, so queueing shows.

`--sweep` runs a short step at each rate instead and reports the highest rate at
which p99 stays under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    ROOT,
    cpu_sample,
    cpu_shares,
    database_backend_pids,
    database_description,
    django_setup,
    load_average,
    percentiles,
    print_machine,
    print_result,
    process_tree,
    throwaway_database,
)
from bench.webhooks import TEXTS, _free_port, start_server, stop_server  # noqa: E402

DUPLICATE_SHARE = 0.20
BAD_SIGNATURE_SHARE = 0.05
MALFORMED_SHARE = 0.02
FOLLOW_UP_TIMEOUT_S = 900


def build_requests(*, n: int, base_url: str, token: str, rng: random.Random) -> tuple[list, set[str]]:
    """(path, body, headers, simultaneous_with_previous) of every request, and the
    MessageSids that should be stored."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(token)
    senders = [f"+668{rng.randrange(10_000_000, 99_999_999)}" for _ in range(max(1, int(n * 0.6)))]
    sent: list[tuple[str, dict]] = []
    valid: set[str] = set()
    requests = []
    for index in range(n):
        roll = rng.random()
        together = False
        duplicate = bool(sent) and roll < DUPLICATE_SHARE
        if duplicate:
            together = roll < DUPLICATE_SHARE / 2
            path, params = sent[-1] if together else rng.choice(sent)
        else:
            whatsapp = rng.random() < 0.5
            phone = rng.choice(senders)
            sid = "SM" + uuid.UUID(int=rng.getrandbits(128)).hex
            params = {
                "MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32,
                "From": f"whatsapp:{phone}" if whatsapp else phone,
                "To": "whatsapp:+6620000000" if whatsapp else "+6620000000",
                "Body": rng.choice(TEXTS).format(n=index), "NumMedia": "0",
            }  # fmt: skip
            path = "/webhooks/twilio/whatsapp/" if whatsapp else "/webhooks/twilio/sms/"
        signature = validator.compute_signature(base_url + path, params)
        corruption = rng.random()
        if corruption < BAD_SIGNATURE_SHARE:
            signature = signature[::-1]
        elif corruption < BAD_SIGNATURE_SHARE + MALFORMED_SHARE:
            params = {key: value for key, value in params.items() if key != "From"}
            signature = validator.compute_signature(base_url + path, params)
        else:
            valid.add(params["MessageSid"])
            if not duplicate:
                sent.append((path, params))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        requests.append((path, urlencode(params), headers, together))
    return requests, valid


async def fire_open_loop(base_url: str, requests: list, *, rate: float) -> tuple[list[float], dict[int, int], float]:
    """Sends request i at i / rate seconds (a duplicate marked simultaneous goes with
    the one before), whatever the answers; latencies count from the scheduled time."""
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:
        began = time.perf_counter()

        async def one(path: str, body: str, headers: dict, at: float) -> None:
            try:
                async with session.post(path, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (TimeoutError, aiohttp.ClientError):
                status = 0  # no answer at all
            latencies.append(time.perf_counter() - at)
            statuses[status] = statuses.get(status, 0) + 1

        tasks = []
        slot = 0
        for path, body, headers, together in requests:
            if not together:
                slot += 1
            at = began + slot / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(path, body, headers, at)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
    return latencies, statuses, elapsed


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--concurrency", "2",
               "--without-mingle", "--without-gossip", "--loglevel", "WARNING"]  # fmt: skip
    # Its banner and shutdown notice go to stderr, so that the JSON line ends stdout.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=sys.stderr)


def stop_worker(worker: subprocess.Popen) -> None:
    """A warm shutdown: SIGTERM to the Celery main process alone, which lets its pool
    children finish their tasks. Signalling the whole group at once killed the
    children under it and printed a WorkerLostError on every run."""
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    stop_server(worker)


def followups_pending() -> int:
    from tickets.models import InboundEvent, OutboxItem

    return (
        InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).count() + OutboxItem.objects.count()
    )


def lag_percentiles() -> dict[str, float]:
    """Accept (the raw event stored) to the message on the timeline, per message."""
    from django.db.models import DurationField, ExpressionWrapper, F

    from tickets.models import Message

    lags = (
        Message.objects.filter(event__isnull=False)
        .annotate(lag=ExpressionWrapper(F("created_at") - F("event__created_at"), output_field=DurationField()))
        .values_list("lag", flat=True)
    )
    return {k: round(v * 1000, 1) for k, v in percentiles([lag.total_seconds() for lag in lags]).items()}


def sweep(base_url: str, token: str, rates: list[float], rng: random.Random, servers: list[int]) -> list[dict]:
    # Unrecorded: the first requests of a fresh server import modules and fill the pool.
    warmup, _ = build_requests(n=200, base_url=base_url, token=token, rng=rng)
    asyncio.run(fire_open_loop(base_url, warmup, rate=50))
    steps = []
    for rate in rates:
        requests, _ = build_requests(n=int(rate * 6), base_url=base_url, token=token, rng=rng)
        client_cpu_s = time.process_time()
        cpu_before = cpu_sample({"servers": servers})
        latencies, statuses, elapsed = asyncio.run(fire_open_loop(base_url, requests, rate=rate))
        cpu = cpu_shares(cpu_before, cpu_sample({"servers": servers}), wall_s=elapsed)
        client_cpu_s = time.process_time() - client_cpu_s
        points = percentiles(latencies)
        step = {
            "offered_per_s": rate, "achieved_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(points["p50"] * 1000, 1), "p99_ms": round(points["p99"] * 1000, 1),
            "p95_ms": round(points["p95"] * 1000, 1), "5xx": sum(c for s, c in statuses.items() if s >= 500 or s == 0),
            "client_cores": round(client_cpu_s / elapsed, 2), "load": load_average(),
            "servers_cores": cpu["servers_cores"],
            "servers_cpu_ms_per_request": round(cpu["servers_cores"] * elapsed * 1000 / len(latencies), 2),
        }  # fmt: skip
        steps.append(step)
        print(f"step:      offered {rate:g}/s, achieved {step['achieved_per_s']}/s, p50 {step['p50_ms']} ms, "
              f"p95 {step['p95_ms']} ms, p99 {step['p99_ms']} ms, 5xx or no answer {step['5xx']}, "
              f"servers {step['servers_cpu_ms_per_request']} ms CPU per request, bench client {step['client_cores']} cores, "
              f"load {step['load']}")  # fmt: skip
        time.sleep(3)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 webhooks instead of 10,000.")
    parser.add_argument("-n", type=int, default=None)
    parser.add_argument("--rate", type=float, default=300.0, help="Offered webhooks per second (default 300).")
    parser.add_argument("--sweep", default="", help="Comma-separated rates: a 6 s step at each.")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--servers-process", action="store_true", help="A pipeline worker in each server process too.")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench/replay.py needs DATABASE_URL (PostgreSQL) and REDIS_URL (the broker)")
    n = args.n or (2000 if args.quick else 10_000)

    with throwaway_database("replay") as database_url:
        django_setup()
        from django.db.models import Count

        from tickets.models import Customer, InboundEvent, Message, Ticket

        db = database_description()
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        token = uuid.uuid4().hex
        env = {
            **os.environ, "DATABASE_URL": database_url, "HELPDESK_PUBLIC_URL": base_url, "TWILIO_AUTH_TOKEN": token,
            "HELPDESK_ALLOW_DEV_SECRETS": "1", "CELERY_TASK_ALWAYS_EAGER": "false", "LOG_LEVEL": "ERROR",
            "HELPDESK_PIPELINE_IN_SERVERS": "1" if args.servers_process else "0",
        }  # fmt: skip
        rng = random.Random(args.seed)
        server = start_server(port, env, 2)
        worker = start_worker(env)
        try:
            print("bench replay: signed Twilio webhooks, open loop, to 2 server processes and a Celery worker")
            layout = "servers and Celery worker" if args.servers_process else "Celery worker only, woken by NOTIFY"
            print(f"pipeline:  processed by the pipeline workers of the {layout}")
            print_machine(db)
            if args.sweep:
                rates = [float(r) for r in args.sweep.split(",")]
                steps = sweep(base_url, token, rates, rng, process_tree(server.pid))
                under = [s["offered_per_s"] for s in steps if s["p99_ms"] < 100 and not s["5xx"]]
                best = max(under, default=0)
                print(f"sweep:     highest offered rate with p99 under 100 ms: {best:g}/s (load {load_average()})")
                print_result(
                    "replay_sweep", steps=steps, max_rate_p99_under_100ms=best, database=db["engine"],
                    servers_process=args.servers_process,
                )  # fmt: skip
                return
            requests, valid = build_requests(n=n, base_url=base_url, token=token, rng=rng)

            def processes() -> dict[str, list[int]]:
                return {
                    "servers": process_tree(server.pid), "worker": process_tree(worker.pid),
                    "database": database_backend_pids(database_url),
                }  # fmt: skip

            cpu_before = cpu_sample(processes())
            latencies, statuses, elapsed = asyncio.run(fire_open_loop(base_url, requests, rate=args.rate))
            cpu = cpu_shares(cpu_before, cpu_sample(processes()), wall_s=elapsed)
            sent_at = time.perf_counter()
            deadline = sent_at + FOLLOW_UP_TIMEOUT_S
            while followups_pending() and time.perf_counter() < deadline:
                time.sleep(0.2)
            drained_s = time.perf_counter() - sent_at
            load = load_average()
        finally:
            stop_server(server)
            stop_worker(worker)

        data = {
            "events": InboundEvent.objects.count(), "messages": Message.objects.count(),
            "customers": Customer.objects.count(), "tickets": Ticket.objects.count(),
        }  # fmt: skip
        stored_sids = set(Message.objects.filter(direction="in").values_list("external_id", flat=True))
        # An inbound MessageSid stored more than once (messages without one, such as
        # acknowledgements not yet sent, are not duplicates of each other).
        inbound = Message.objects.filter(direction="in", external_id__isnull=False)
        twice = inbound.values("external_id").annotate(n=Count("id")).filter(n__gt=1).count()
        failed = InboundEvent.objects.filter(status=InboundEvent.Status.FAILED).count()
        lost = len(valid - stored_sids)
        points = percentiles(latencies)
        lag = lag_percentiles()
        accepted = statuses.get(200, 0)
        refused = sum(c for s, c in statuses.items() if 400 <= s < 500)
        server_errors = sum(c for s, c in statuses.items() if s >= 500 or s == 0)
        print(f"requests:  {len(requests):,}: {len(valid):,} distinct valid MessageSids; statuses {dict(sorted(statuses.items()))}")
        print(f"rate:      offered {args.rate:g}/s, achieved {len(latencies) / elapsed:.1f}/s over {elapsed:.1f} s")
        print(f"latency:   p50 {points['p50'] * 1000:.1f} ms, p95 {points['p95'] * 1000:.1f} ms, "
              f"p99 {points['p99'] * 1000:.1f} ms (from the scheduled send)")  # fmt: skip
        print(f"outcome:   accepted {accepted:,}, refused {refused:,}, 5xx or no answer {server_errors}, stored "
              f"{len(stored_sids & valid):,}, lost {lost}, duplicated {twice}, failed events {failed}")  # fmt: skip
        print(f"timeline:  accept to timeline p50 {lag['p50']} ms, p99 {lag['p99']} ms")
        print(f"data:      {data['events']:,} raw events, {data['messages']:,} messages (with acknowledgements), "
              f"{data['customers']:,} customers, {data['tickets']:,} tickets")  # fmt: skip
        print(f"cpu/req:   servers {cpu['servers_cores'] * elapsed * 1000 / len(requests):.2f} ms per request")
        print(f"cpu:       servers {cpu['servers_cores']} cores, Celery worker {cpu['worker_cores']}, database "
              f"{cpu['database_cores']}, bench client {cpu['client_cores']}, the rest {cpu['other_cores']}; "
              f"machine {cpu['machine_busy_pct']}% busy while sending")  # fmt: skip
        print(f"drained:   the last follow-up ran {drained_s:.1f} s after the last request (load {load})")
        print_result(
            "replay", offered_per_s=args.rate, achieved_per_s=round(len(latencies) / elapsed, 1), n=len(requests),
            p50_ms=round(points["p50"] * 1000, 1), p95_ms=round(points["p95"] * 1000, 1),
            p99_ms=round(points["p99"] * 1000, 1), accepted=accepted, refused=refused, server_errors=server_errors,
            stored=len(stored_sids & valid), lost=lost, duplicated=twice, failed_events=failed,
            lag_p50_ms=lag["p50"], lag_p99_ms=lag["p99"], followups_drained_s=round(drained_s, 1),
            database=db["engine"], load=load, servers_process=args.servers_process,
            servers_cpu_ms_per_request=round(cpu["servers_cores"] * elapsed * 1000 / len(requests), 2), **data, **cpu,
        )  # fmt: skip


if __name__ == "__main__":
    main()
