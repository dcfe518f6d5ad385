"""Inbound messages per second through the one pipeline, beside the bare minimum.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] python bench/ingest.py [--quick] [-n 20000]

The workload mixes the four channels (email threaded by In-Reply-To, SMS, WhatsApp,
chat), with 20% replies into existing tickets and 5% redeliveries of messages
already stored. Each message goes through `tickets.services.ingest.ingest`: the
raw event, deduplication, customer resolution, threading, the message, and the
after-commit realtime event (through Redis when REDIS_URL is set) and task
enqueues. The follow-up tasks are enqueued to an in-process broker and not run:
workers run them, not the process that takes the message. With Redis, realtime
events go out from a background sender; the run also reports how long the events
still queued at its end took to go out.

The floor is one INSERT and one COMMIT per message, straight through the
database driver into a scratch table of the same database. Runs in a database
of its own, created beside DATABASE_URL's and dropped at the end (SQLite: a
temporary file when DATABASE_URL is unset).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    database_description,
    django_setup,
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


def run_pipeline(items: list[tuple[str, object]]) -> tuple[float, float, list[float], dict[str, int]]:
    """The time to ingest every item, then the time the realtime events still queued
    at the end took to reach Redis (they go out from a background sender)."""
    from tickets.events import flush_pending_events
    from tickets.services.ingest import ingest

    latencies, outcomes = [], {}
    started = time.perf_counter()
    for _, msg in items:
        t0 = time.perf_counter()
        result = ingest(msg)
        latencies.append(time.perf_counter() - t0)
        outcomes[result.status] = outcomes.get(result.status, 0) + 1
    elapsed = time.perf_counter() - started
    if not flush_pending_events(timeout=300):
        raise SystemExit("realtime events were still queued 300 s after the run")
    return elapsed, time.perf_counter() - started - elapsed, latencies, outcomes


def queries_per_message(items: list[tuple[str, object]]) -> dict[str, float]:
    """Average SQL statements per message, by kind (run apart from the timed loop)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.services.ingest import ingest

    totals: dict[str, list[int]] = {}
    for kind, msg in items:
        with CaptureQueriesContext(connection) as captured:
            ingest(msg)
        totals.setdefault(kind, []).append(len(captured.captured_queries))
    return {kind: round(sum(counts) / len(counts), 1) for kind, counts in sorted(totals.items())}


def floor_rate(count: int, texts: list[str]) -> float:
    """One INSERT and one COMMIT per message, through the driver, into a scratch table."""
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg

        conn = psycopg.connect(url)
        conn.execute(
            "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, channel text NOT NULL, external_id text NOT NULL,"
            " body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.commit()
        sql = "INSERT INTO bench_floor (channel, external_id, body) VALUES (%s, %s, %s)"
    else:
        # The same pragmas the project's SQLite settings use.
        conn = sqlite3.connect(urlsplit(url).path, isolation_level="DEFERRED")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE bench_floor (id integer PRIMARY KEY, channel text NOT NULL, external_id text NOT NULL,"
            " body text NOT NULL, created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        conn.commit()
        sql = "INSERT INTO bench_floor (channel, external_id, body) VALUES (?, ?, ?)"
    started = time.perf_counter()
    for i in range(count):
        conn.execute(sql, ("sms", f"floor-{i}", texts[i % len(texts)]))
        conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="A run of under a minute.")
    parser.add_argument("-n", type=int, default=None, help="Messages to ingest (default 20000, quick 1000).")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = args.n or (1000 if args.quick else 20000)
    floor_n = min(n, 1000 if args.quick else 10000)
    sample_n = 100 if args.quick else 300
    # Follow-up tasks are enqueued, not run here; nothing leaves this process but the
    # database and, with REDIS_URL, the channel layer.
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

    with throwaway_database("ingest"):
        django_setup()
        db = database_description()
        rng = random.Random(args.seed)
        workload = Workload(rng=rng, prefix=f"b{args.seed}")
        warmup = workload.build(100 if args.quick else 300)
        items = workload.build(n)
        sample = workload.build(sample_n)
        kinds = {kind: sum(1 for k, _ in items if k == kind) for kind in ("new", "reply", "duplicate")}
        channels = {c: sum(1 for _, m in items if m.channel == c) for c in CHANNEL_WEIGHTS}

        print("bench ingest: inbound messages through tickets.services.ingest.ingest")
        print_machine(db)
        print(f"redis:     {'channel layer on ' + os.environ['REDIS_URL'] if os.environ.get('REDIS_URL') else 'none (in-memory channel layer)'}")
        print(f"workload:  {n:,} messages: {kinds['new']:,} new, {kinds['reply']:,} replies, "
              f"{kinds['duplicate']:,} redeliveries; " + ", ".join(f"{c} {k:,}" for c, k in channels.items()))  # fmt: skip
        run_pipeline(warmup)
        elapsed, drain, latencies, outcomes = run_pipeline(items)
        rate = n / elapsed
        per_kind = queries_per_message(sample)
        floor = floor_rate(floor_n, [m.text for _, m in items[:500]])

        from tickets.models import Customer, Message, Ticket

        pct = {k: round(v * 1000, 2) for k, v in percentiles(latencies).items()}
        ratio = rate / floor
        print(f"data:      {Ticket.objects.count():,} tickets, {Message.objects.count():,} messages, "
              f"{Customer.objects.count():,} customers after the run")  # fmt: skip
        print("outcomes:  " + ", ".join(f"{status} {count:,}" for status, count in sorted(outcomes.items())))
        print("queries:   per message " + ", ".join(f"{kind} {q}" for kind, q in per_kind.items()))
        print(f"latency:   p50 {pct['p50']} ms, p95 {pct['p95']} ms, p99 {pct['p99']} ms")
        print(f"pipeline:  {rate:,.0f} msgs/s ({n:,} in {elapsed:.1f} s)")
        print(f"realtime:  the last queued events reached the channel layer {drain:.2f} s after the last message "
              f"({n / (elapsed + drain):,.0f} msgs/s counting that)")  # fmt: skip
        print(f"floor:     {floor:,.0f} inserts/s (one INSERT + COMMIT each, {floor_n:,} rows)")
        print(f"ratio:     {ratio:.2f} of the floor")
        result = {
            "msgs_per_s": round(rate, 1), "floor_per_s": round(floor, 1), "ratio": round(ratio, 2), "n": n,
            "realtime_drain_s": round(drain, 2),
            "p50_ms": pct["p50"], "p95_ms": pct["p95"], "p99_ms": pct["p99"], "queries_per_msg": per_kind,
            "db": f"{db['engine']} {db['version']}",
        }  # fmt: skip
    print_result("ingest", **result)


if __name__ == "__main__":
    main()
