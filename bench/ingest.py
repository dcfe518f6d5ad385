"""Inbound messages per second through the write path, end to end, beside the bare
minimum.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] python bench/ingest.py [--quick] [-n 20000]
        [--tickets 100000 | --existing]

The workload mixes the four channels (email threaded by In-Reply-To, SMS, WhatsApp,
chat), with 20% replies into existing tickets and 5% redeliveries of messages
already stored. Each message takes the path a webhook gives it: `inbound_accept`
stores the raw event (one INSERT and COMMIT) and answers; the pipeline worker then
processes the accepted events in batches (`inbound_events_process_pending`:
deduplication, customer resolution, threading, the message, its follow-ups written
to the outbox) and the relay hands the outbox to the broker. Here both run one
after the other in one thread, so the end-to-end rate is
messages / (accept time + processing time + relay time). The broker is an
in-process one (the follow-up tasks are workers' work, not measured here); with
REDIS_URL the realtime events go through Redis.

The floor is one INSERT and one COMMIT per message through the database driver into
a table shaped like the inbound events' (the same columns and indexes), with the
same payloads. Floor and pipeline run interleaved in rounds, and the medians are
reported. Runs in a database of its own, created beside DATABASE_URL's and dropped
at the end (SQLite: a temporary file when DATABASE_URL is unset). `--tickets`
seeds that many tickets first (seed_demo), to show the rate does not fall with
history. `--existing` runs in DATABASE_URL's own database instead, already seeded
(a copy of a seeded template, say): it is migrated and written to, never dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    database_description,
    django_setup,
    load_average,
    percentiles,
    print_machine,
    print_result,
    throwaway_database,
)

CHANNEL_WEIGHTS = {"email": 35, "whatsapp": 25, "chat": 20, "sms": 20}
REPLY_SHARE = 0.20
DUPLICATE_SHARE = 0.05


class Workload:
    """The messages of one run, built before the clock starts."""

    def __init__(self, *, rng: random.Random, prefix: str) -> None:
        from tickets.services.demo import TOPICS

        self.rng = rng
        self.prefix = prefix
        self.topics = TOPICS
        self.sent: list = []  # every message built so far, for replies and redeliveries
        self.counter = 0

    def _text(self, lang: str, field: str) -> str:
        topic = self.rng.choice(self.topics)
        template = self.rng.choice(getattr(topic, field)[lang])
        return template.format(name="", agent="", order="#A10423", amount="1,290", tracking="4821937710", last4="5678")

    def _sender(self, channel: str, number: int) -> str:
        digits = f"{(number * 48271 + 7) % 10**8:08d}"
        if channel == "email":
            return self.rng.choice([f"Customer.{number}@Example.com", f"customer.{number}@example.com"])
        if channel == "chat":
            return f"chat:{self.prefix}-visitor-{number}"
        spelling = self.rng.choice([f"+668{digits}", f"08{digits}", f"+66 8{digits[:2]} {digits[2:5]} {digits[5:]}"])
        return f"whatsapp:+668{digits}" if channel == "whatsapp" else spelling

    def _external_id(self, channel: str) -> str:
        self.counter += 1
        if channel == "email":
            return f"<{self.prefix}.{self.counter}@mail.example.com>"
        if channel == "chat":
            return f"{self.prefix}-chat-{self.counter}"
        return f"SM{self.prefix}{self.counter:012d}"

    def new_conversation(self):
        from tickets.inbound import InboundAttachment, InboundMessage

        rng = self.rng
        channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        lang = "th" if rng.random() < 0.7 else "en"
        number = len(self.sent) + 1
        text = self._text(lang, "openers")
        fields = {}
        if channel == "email":
            fields["subject"] = self._text(lang, "subjects")
            if rng.random() < 0.3:
                fields["html"] = f"<div><p>{text}</p><p style='color:#666'>Sent from my phone</p></div>"
            if rng.random() < 0.05:
                fields["attachments"] = [
                    InboundAttachment(filename="receipt.pdf", content_type="application/pdf", content=b"%PDF-1.4" * 256)
                ]
        msg = InboundMessage(
            channel=channel, external_id=self._external_id(channel), sender=self._sender(channel, number),
            sender_name=rng.choice(["สมชาย ใจดี", "Emily Carter", "วิภา แสงทอง", ""]), text=text, language=lang,
            **fields,
        )  # fmt: skip
        self.sent.append(msg)
        return msg

    def reply(self):
        from tickets.inbound import InboundMessage

        earlier = self.rng.choice(self.sent)
        lang = earlier.language
        fields = {}
        if earlier.channel == "email":
            fields = {
                "subject": f"Re: {earlier.subject}",
                "in_reply_to": earlier.external_id,
                "references": [*earlier.references, earlier.external_id][-10:],
            }
        msg = InboundMessage(
            channel=earlier.channel, external_id=self._external_id(earlier.channel), sender=earlier.sender,
            sender_name=earlier.sender_name, text=self._text(lang, "follow_ups"), language=lang, **fields,
        )  # fmt: skip
        self.sent.append(msg)
        return msg

    def duplicate(self):
        from tickets.inbound import InboundMessage

        return InboundMessage.from_payload(self.rng.choice(self.sent).to_payload())

    def build(self, count: int) -> list[tuple[str, object]]:
        items = []
        for _ in range(count):
            roll = self.rng.random() if self.sent else 1.0
            if roll < DUPLICATE_SHARE:
                items.append(("duplicate", self.duplicate()))
            elif roll < DUPLICATE_SHARE + REPLY_SHARE:
                items.append(("reply", self.reply()))
            else:
                items.append(("new", self.new_conversation()))
        return items


ROUNDS = 5


def accept_all(items: list[tuple[str, object]]) -> tuple[float, list[float], float]:
    """Accepting each message: the wall time, each answer's latency, and this process's CPU time."""
    from tickets.services.ingest import inbound_accept

    latencies = []
    cpu_started = time.process_time()
    started = time.perf_counter()
    for _, msg in items:
        t0 = time.perf_counter()
        inbound_accept(msg)
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - started, latencies, time.process_time() - cpu_started


def process_all() -> tuple[float, float, float]:
    """Processing, then the relay of the outbox, each timed; and this process's CPU time for both."""
    from tickets.services.inbound_queue import inbound_events_process_pending
    from tickets.services.outbox import outbox_relay

    cpu_started = time.process_time()
    started = time.perf_counter()
    while inbound_events_process_pending():
        pass
    processed = time.perf_counter()
    while outbox_relay():
        pass
    return processed - started, time.perf_counter() - processed, time.process_time() - cpu_started


def statements_per_message(items: list[tuple[str, object]]) -> dict[str, float]:
    """SQL statements and commits per message, accept and processing apart (outside the timed runs)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.services.inbound_queue import inbound_events_process_pending
    from tickets.services.ingest import inbound_accept
    from tickets.services.outbox import outbox_relay

    with CaptureQueriesContext(connection) as accept:
        for _, msg in items:
            inbound_accept(msg)
    with CaptureQueriesContext(connection) as process:
        while inbound_events_process_pending():
            pass
        while outbox_relay():
            pass
    n = len(items)
    commits = sum(1 for q in process.captured_queries if q["sql"].upper().startswith("COMMIT"))
    return {
        "accept_sql": round(len(accept.captured_queries) / n, 2),
        "process_sql": round(len(process.captured_queries) / n, 2),
        "process_commits": round(commits / n, 3),
    }


def floor_table(conn, vendor: str) -> str:
    if vendor == "postgresql":
        conn.execute("DROP TABLE IF EXISTS bench_floor")
        conn.execute("CREATE TABLE bench_floor (LIKE tickets_inboundevent INCLUDING ALL)")
        conn.commit()
        return (
            "INSERT INTO bench_floor (channel, external_id, payload, status, conversation_key, error, attempts,"
            " created_at) VALUES (%s, %s, %s, 'received', %s, '', 0, now())"
        )
    conn.execute(
        "CREATE TABLE bench_floor (id integer PRIMARY KEY, channel text NOT NULL, external_id text NOT NULL,"
        " payload text NOT NULL, status text, conversation_key text, created_at text DEFAULT CURRENT_TIMESTAMP)"
    )
    conn.commit()
    return "INSERT INTO bench_floor (channel, external_id, payload, status, conversation_key) VALUES (?, ?, ?, 'received', ?)"


def floor_connect():
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg

        return psycopg.connect(url), "postgresql"
    conn = sqlite3.connect(urlsplit(url).path, isolation_level="DEFERRED")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn, "sqlite"


def floor_round(conn, sql: str, items: list[tuple[str, object]], vendor: str) -> float:
    """One INSERT and one COMMIT per message, the same payloads; returns inserts per second."""
    import json

    rows = [(m.channel, m.external_id, json.dumps(m.to_payload()), f"{m.channel}:{m.sender}") for _, m in items]
    if vendor == "postgresql":
        from psycopg.types.json import Jsonb

        rows = [(c, e, Jsonb(json.loads(p)), k) for c, e, p, k in rows]
    started = time.perf_counter()
    for row in rows:
        conn.execute(sql, row)
        conn.commit()
    return len(rows) / (time.perf_counter() - started)


def followups_rate(*, after_pk: int) -> tuple[float, int]:
    """The follow-ups of every inbound message of the run (assignment, sentiment, SLA
    clock, acknowledgement, rules), in batches of 100 as one worker runs them. Eight
    agents are online with room for 25 tickets each, so the first 200 new tickets are
    assigned and the rest find everyone full, as on a busy day."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from tickets.models import AgentProfile, Direction, Message
    from tickets.tasks import inbound_followups_batch

    for n in range(8):
        agent, _ = get_user_model().objects.get_or_create(username=f"bench-agent-{n}", defaults={"is_staff": True})
        AgentProfile.objects.update_or_create(
            user=agent,
            defaults={"presence": AgentProfile.Presence.ONLINE, "last_seen_at": timezone.now(), "capacity": 25},
        )
    ids = list(
        Message.objects.filter(direction=Direction.IN, pk__gt=after_pk).order_by("pk").values_list("pk", flat=True)
    )
    started = time.perf_counter()
    for start in range(0, len(ids), 100):
        inbound_followups_batch.run(ids[start : start + 100])
    return len(ids) / (time.perf_counter() - started), len(ids)


def seed_history(tickets: int) -> None:
    from django.core.management import call_command

    call_command("seed_demo", tickets=tickets, messages_per_ticket=10, batch_size=5000, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="A short run (5 rounds of 400 messages).")
    parser.add_argument("-n", type=int, default=None, help="Messages to ingest (default 20000, quick 2000).")
    parser.add_argument("--tickets", type=int, default=0, help="Tickets of history seeded first (seed_demo).")
    parser.add_argument(
        "--existing", action="store_true", help="Run in DATABASE_URL's database, already seeded; keep it."
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = args.n or (2000 if args.quick else 20000)
    per_round = max(1, n // ROUNDS)
    # The follow-up tasks are handed to an in-process broker, not run: workers run them.
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

    with contextlib.nullcontext() if args.existing else throwaway_database("ingest"):
        django_setup()
        from tickets import pipeline_worker

        # This process plays the pipeline worker itself, in the open, one phase at a time.
        pipeline_worker.wake = lambda: None
        if args.tickets:
            seed_history(args.tickets)
        db = database_description()
        rng = random.Random(args.seed)
        # In a kept database, each run's message ids are new ones.
        workload = Workload(rng=rng, prefix=f"b{args.seed}" + (f"p{os.getpid()}" if args.existing else ""))
        warmup = workload.build(200)
        rounds = [workload.build(per_round) for _ in range(ROUNDS)]
        sample = workload.build(200 if args.quick else 500)
        items = [item for batch in rounds for item in batch]
        kinds = {kind: sum(1 for k, _ in items if k == kind) for kind in ("new", "reply", "duplicate")}
        channels = {c: sum(1 for _, m in items if m.channel == c) for c in CHANNEL_WEIGHTS}

        from django.db.models import Count

        from tickets.models import Customer, InboundEvent, Message, Ticket

        print("bench ingest: accept (inbound_accept), then batch processing and the outbox relay")
        print_machine(db)
        print(f"redis:     {'channel layer on ' + os.environ['REDIS_URL'] if os.environ.get('REDIS_URL') else 'none (in-memory channel layer)'}")
        history_tickets = Ticket.objects.count()
        print(f"history:   {history_tickets:,} tickets, {Message.objects.count():,} messages before the run")
        print(f"workload:  {len(items):,} messages in {ROUNDS} rounds: {kinds['new']:,} new, {kinds['reply']:,} replies, "
              f"{kinds['duplicate']:,} redeliveries; " + ", ".join(f"{c} {k:,}" for c, k in channels.items()))  # fmt: skip
        # The follow-ups measured are the run's own, not the seeded history's.
        history_last_pk = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        accept_all(warmup)
        process_all()

        conn, vendor = floor_connect()
        floor_sql = floor_table(conn, vendor)
        accept_s = process_s = relay_s = accept_cpu_s = process_cpu_s = 0.0
        accept_latencies: list[float] = []
        e2e_rates, floor_rates = [], []
        for batch in rounds:
            floor_rates.append(floor_round(conn, floor_sql, batch, vendor))
            t_accept, latencies, cpu_accept = accept_all(batch)
            t_process, t_relay, cpu_process = process_all()
            accept_s, process_s, relay_s = accept_s + t_accept, process_s + t_process, relay_s + t_relay
            accept_cpu_s, process_cpu_s = accept_cpu_s + cpu_accept, process_cpu_s + cpu_process
            accept_latencies += latencies
            e2e_rates.append(len(batch) / (t_accept + t_process + t_relay))
        conn.close()
        statements = statements_per_message(sample)
        followups_per_s, followups_n = followups_rate(after_pk=history_last_pk)
        outcomes = dict(InboundEvent.objects.values_list("status").annotate(count=Count("id")).order_by())

        rate, floor = statistics.median(e2e_rates), statistics.median(floor_rates)
        accept_pct = {k: round(v * 1000, 2) for k, v in percentiles(accept_latencies).items()}
        print(f"data:      {Ticket.objects.count():,} tickets, {Message.objects.count():,} messages, "
              f"{Customer.objects.count():,} customers after the run")  # fmt: skip
        print("outcomes:  " + ", ".join(f"{status} {count:,}" for status, count in sorted(outcomes.items())))
        print(f"sql:       per message: accept {statements['accept_sql']}, processing {statements['process_sql']} "
              f"statements and {statements['process_commits']} commits")  # fmt: skip
        print(f"cpu:       per message in this process: accept {accept_cpu_s / len(items) * 1000:.3f} ms, "
              f"processing and relay {process_cpu_s / len(items) * 1000:.3f} ms")  # fmt: skip
        print(f"accept:    {len(items) / accept_s:,.0f} msgs/s; the answer after p50 {accept_pct['p50']} ms, "
              f"p99 {accept_pct['p99']} ms")  # fmt: skip
        print(f"process:   {len(items) / process_s:,.0f} msgs/s in batches; outbox relay {len(items) / relay_s:,.0f} msgs/s")
        print(f"pipeline:  {rate:,.0f} msgs/s end to end (median of {ROUNDS} rounds: "
              + ", ".join(f"{r:,.0f}" for r in e2e_rates) + ")")
        print(f"floor:     {floor:,.0f} inserts/s (median of {ROUNDS} rounds, interleaved: "
              + ", ".join(f"{r:,.0f}" for r in floor_rates) + ")")
        print(f"ratio:     {rate / floor:.2f} of the floor")
        print(f"load:      {load_average()} (1, 5, 15 min)")
        print(f"followups: {followups_per_s:,.0f} messages/s on one worker ({followups_n:,} messages, batches of 100)")
        result = {
            "msgs_per_s": round(rate, 1), "floor_per_s": round(floor, 1), "ratio": round(rate / floor, 3),
            "n": len(items), "history_tickets": history_tickets,
            "accept_per_s": round(len(items) / accept_s, 1), "process_per_s": round(len(items) / process_s, 1),
            "accept_p50_ms": accept_pct["p50"], "accept_p99_ms": accept_pct["p99"], **statements,
            "accept_cpu_ms": round(accept_cpu_s / len(items) * 1000, 3),
            "process_cpu_ms": round(process_cpu_s / len(items) * 1000, 3),
            "followups_per_s": round(followups_per_s, 1), "load": load_average(),
            "db": f"{db['engine']} {db['version']}",
        }  # fmt: skip
    print_result("ingest", **result)


if __name__ == "__main__":
    main()
