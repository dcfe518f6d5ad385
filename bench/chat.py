"""Live chat at scale: N customers' websockets on two server processes, and how fast
their messages reach an agent's console.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/chat.py [--quick] [--clients 500]

Two uvicorn processes serve helpdesk.asgi on the Redis channel layer and one
database (its own, created beside DATABASE_URL's and dropped at the end; SQLite:
a temporary file). Half the customers connect to each process with a chat session
token, then each sends a few messages, one after another, waiting for the
server's acknowledgement (the message stored as its raw event). Every message goes
through the one inbound pipeline, in the servers' pipeline workers.
An agent's console websocket, on the second process, hears each message.created
event; the latency is from the customer's send to the agent's receipt, across
processes for half of them. Follow-up tasks are enqueued to an in-process broker
and not run: workers run them, not the servers.

It prints messages/s, the latency's median and p99 (split into send -> stored and
stored -> console), the events lost (expected against received), the load average,
and where the CPU went while the customers talked: the two servers, the database
backends serving this run, this client, and the rest of the machine. When the
client's share or the rest's is large, the figures measure the machine, not the
helpdesk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    cpu_sample,
    cpu_shares,
    database_backend_pids,
    database_description,
    django_setup,
    load_average,
    percentiles,
    print_machine,
    print_result,
    throwaway_database,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 customers: a run of under a minute")
    parser.add_argument("--clients", type=int, help="concurrent customers (default 500, --quick 100)")
    parser.add_argument("--messages", type=int, default=3, help="messages each customer sends (default 3)")
    parser.add_argument("--think-ms", type=int, default=1000, help="most a customer waits between messages")
    parser.add_argument("--min-think-ms", type=int, default=0, help="least a customer waits between messages")
    args = parser.parse_args()
    args.clients = args.clients or (100 if args.quick else 500)
    return args


def prepare(clients: int) -> tuple[list[str], object]:
    """Chat session tokens for the customers, and an agent to watch the console."""
    from django.contrib.auth.models import Group

    from channels_app.chat.session import session_start
    from tests.factories import make_user
    from tickets.models import Role

    Group.objects.get_or_create(name=Role.AGENT)
    agent = make_user("bench-agent", roles=[Role.AGENT], first_name="Bench")
    tokens = [session_start(name=f"Customer {i}", email=f"bench{i}@example.com")[1] for i in range(clients)]
    return tokens, agent


async def run(args, servers, tokens, cookie, db_url) -> dict:
    import websockets

    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    ack_latencies: list[float] = []
    # From the message's created_at (stamped in the pipeline's transaction, by the
    # same machine's clock) to the agent's receipt: the publication path alone.
    publish_latencies: list[float] = []
    everything_heard = asyncio.Event()
    expected = len(tokens) * args.messages
    acked = 0
    last_heard: float | None = None

    agent_server = servers[1]
    agent = await websockets.connect(
        f"{agent_server.ws_url}/ws/console/",
        origin=agent_server.origin,
        additional_headers={"Cookie": f"{cookie['name']}={cookie['value']}"},
        max_queue=None,
        ping_interval=None,
    )

    async def listen() -> None:
        async for raw in agent:
            frame = json.loads(raw)
            if frame.get("type") != "message.created":
                continue
            started = sent_at.pop(frame["message"]["text"], None)
            if started is not None:
                nonlocal last_heard
                last_heard = time.perf_counter()
                latencies.append(last_heard - started)
                created = datetime.fromisoformat(frame["message"]["created_at"]).timestamp()
                publish_latencies.append(time.time() - created)
                if len(latencies) == expected:
                    everything_heard.set()

    listener = asyncio.create_task(listen())

    async def connect(index: int, token: str):
        server = servers[index % len(servers)]
        for attempt in range(5):
            try:
                socket = await websockets.connect(
                    f"{server.ws_url}/ws/chat/?token={token}", origin=server.origin, open_timeout=60,
                    ping_interval=None,  # a saturated server answers pings late; that is not a lost customer
                )
                welcome = json.loads(await socket.recv())
                assert welcome["type"] == "welcome", welcome
                return socket
            except (TimeoutError, OSError, websockets.InvalidStatus):
                await asyncio.sleep(0.5 * 2**attempt)
        raise SystemExit(f"customer {index} could not connect to {server.url}")

    started = time.perf_counter()
    sockets = []
    for batch in range(0, len(tokens), 50):
        sockets += await asyncio.gather(*(connect(i, tokens[i]) for i in range(batch, min(batch + 50, len(tokens)))))
    connect_s = time.perf_counter() - started

    async def customer(index: int, socket) -> None:
        nonlocal acked
        await asyncio.sleep(random.random() * args.think_ms / 1000)  # customers do not start in step
        for seq in range(args.messages):
            text = f"bench {index}/{seq} {uuid.uuid4().hex[:8]}"
            sent_at[text] = sent = time.perf_counter()
            await socket.send(json.dumps({"type": "message", "id": str(uuid.uuid4()), "text": text}))
            while True:
                frame = json.loads(await socket.recv())
                if frame["type"] == "ack":
                    ack_latencies.append(time.perf_counter() - sent)
                    acked += 1
                    break
                if frame["type"] == "error":
                    raise SystemExit(f"customer {index}: {frame}")
            await asyncio.sleep(random.uniform(args.min_think_ms, args.think_ms) / 1000)

    def processes() -> dict[str, list[int]]:
        return {"servers": [s.process.pid for s in servers], "database": database_backend_pids(db_url)}

    cpu_before = cpu_sample(processes())
    started = time.perf_counter()
    # Sampled as the run goes, so that the CPU figures too can stop at the last event
    # heard, not after the wait for lost ones.
    cpu_samples: list[tuple[float, object]] = []

    async def sample_cpu() -> None:
        while True:
            await asyncio.sleep(0.5)
            cpu_samples.append((time.perf_counter(), await asyncio.to_thread(cpu_sample, processes())))

    sampler = asyncio.create_task(sample_cpu())
    await asyncio.gather(*(customer(i, s) for i, s in enumerate(sockets)))
    try:
        await asyncio.wait_for(everything_heard.wait(), timeout=60)
    except TimeoutError:
        pass
    sampler.cancel()
    # Up to the last message the agent heard: a lost one must not stretch the time.
    elapsed = (last_heard or time.perf_counter()) - started
    until = started + elapsed
    at, cpu_after = next(
        ((at, sample) for at, sample in cpu_samples if at >= until),
        (time.perf_counter(), cpu_sample(processes())),
    )
    cpu = cpu_shares(cpu_before, cpu_after, wall_s=at - started)
    listener.cancel()
    await asyncio.gather(*(s.close() for s in sockets), agent.close(), return_exceptions=True)
    return {
        "latencies": latencies,
        "ack_latencies": ack_latencies,
        "publish_latencies": publish_latencies,
        "elapsed": elapsed,
        "connect_s": connect_s,
        "acked": acked,
        "expected": expected,
        "cpu": cpu,
    }


def main() -> None:
    args = parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("bench/chat.py needs REDIS_URL: two server processes share events through the Redis layer")
    with throwaway_database("chat") as db_url:
        django_setup()
        from django.conf import settings

        from tests.e2e.servers import server_env, session_cookie_for, start_asgi_server

        load_before = load_average()
        tokens, agent = prepare(args.clients)
        log_dir = Path(tempfile.mkdtemp(prefix="bench-chat-logs-"))
        env = server_env(
            db_url=db_url,
            media_root=Path(os.environ["MEDIA_ROOT"]),
            secret_key=settings.SECRET_KEY,
            # Follow-up tasks are queued in memory and left for workers, as in production.
            # Persistent database connections, as a production deployment sets them.
            extra={"CELERY_TASK_ALWAYS_EAGER": "false", "CELERY_BROKER_URL": "memory://", "DB_CONN_MAX_AGE": "60"},
        )
        servers = [start_asgi_server(env=env, log_dir=log_dir) for _ in range(2)]
        try:
            cookie = session_cookie_for(agent, url=servers[1].url)
            result = asyncio.run(run(args, servers, tokens, cookie, db_url))
        finally:
            for server in servers:
                server.stop()
            shutil.rmtree(log_dir, ignore_errors=True)

        latencies_ms = [x * 1000 for x in result["latencies"]]
        figures = percentiles(latencies_ms)
        delivered = len(latencies_ms)
        msgs_per_s = delivered / result["elapsed"] if result["elapsed"] else 0.0
        print_machine(database_description())
        print(f"layer:     Redis ({settings.REDIS_URL.rsplit('@', 1)[-1]}), 2 uvicorn processes")
        print(f"customers: {args.clients} websockets ({args.clients // 2} per process), {args.messages} messages each")
        print(f"connect:   {result['connect_s']:.1f} s for all customers")
        lost = result["expected"] - delivered
        cpu = result["cpu"]
        print(f"load:      {load_before} before, {load_average()} after (1, 5, 15 min)")
        print(f"delivered: {delivered} of {result['expected']} messages to the agent ({result['acked']} acknowledged)")
        print(f"lost:      {lost} events the agent never heard (expected {result['expected']}, received {delivered})")
        print(
            f"cpu:       servers {cpu['servers_cores']:.2f} cores, database {cpu['database_cores']:.2f}, "
            f"bench client {cpu['client_cores']:.2f}, the rest (Redis, other users of the machine) "
            f"{cpu['other_cores']:.2f}; machine {cpu['machine_busy_pct']:.0f}% busy"
        )
        # Each customer sends, then thinks for a uniform time between the two bounds.
        offered_per_s = args.clients / ((args.min_think_ms + args.think_ms) / 2000) if args.think_ms else 0.0
        print(f"rate:      {msgs_per_s:.1f} messages/s to the console, {offered_per_s:.1f} offered")
        acks_ms = sorted(x * 1000 for x in result["ack_latencies"])
        if acks_ms:
            print(
                f"stored:    median {statistics.median(acks_ms):.1f} ms, p99 {percentiles(acks_ms)['p99']:.1f} ms "
                "(customer send -> acknowledgement: the raw event stored)"
            )
        publish_ms = sorted(x * 1000 for x in result["publish_latencies"])
        if publish_ms:
            print(
                f"published: median {statistics.median(publish_ms):.1f} ms, p99 {percentiles(publish_ms)['p99']:.1f} ms "
                "(message stored -> agent console: the realtime path alone)"
            )
        if latencies_ms:
            print(
                f"latency:   median {statistics.median(latencies_ms):.1f} ms, p95 {figures['p95']:.1f} ms, "
                f"p99 {figures['p99']:.1f} ms, max {max(latencies_ms):.1f} ms (customer send -> agent console)"
            )
        print_result(
            "chat",
            msgs_per_s=round(msgs_per_s, 1),
            offered_per_s=round(offered_per_s, 1),
            p50_ms=round(statistics.median(latencies_ms), 1) if latencies_ms else None,
            p95_ms=round(figures["p95"], 1),
            p99_ms=round(figures["p99"], 1),
            ack_p50_ms=round(statistics.median(acks_ms), 1) if acks_ms else None,
            publish_p50_ms=round(statistics.median(publish_ms), 1) if publish_ms else None,
            clients=args.clients,
            messages=delivered,
            lost=lost,
            servers=2,
            **cpu,
        )


if __name__ == "__main__":
    main()
