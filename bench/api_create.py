"""Ticket create through the REST API, in-process: `POST /api/v1/tickets/`.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/api_create.py [--quick] [-n 3000]

One integration client (token auth, an Idempotency-Key on every request) creates
tickets for known customers, each with the agent's first message, through Django's
test client: the view, DRF's validation, the ticket and reply services, the outbox
rows of the reply's delivery and the JSON answer, no network. It sends as fast as
the answers come back (closed loop, one client): the offered rate is the achieved
rate. 5% of the requests repeat an earlier request's key and body, as a client
retrying after a timeout would, and must get the same ticket back.

It prints the rate, p50/p95/p99 per request, SQL statements per create, the CPU time
per request of the thread that serves them (robust to a busy machine, unlike the
rate: it counts only this process's own work), and checks
that every create is stored once: lost (a 201 whose ticket is missing), duplicated
(a retried key that made a second ticket) and non-201 answers. Runs in a database of
its own, created beside DATABASE_URL's and dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path

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

CUSTOMERS = 500
RETRY_SHARE = 0.05


def known_customers() -> list[int]:
    from tickets.models import Customer

    Customer.objects.bulk_create(Customer(name=f"API customer {i}") for i in range(CUSTOMERS))
    return list(Customer.objects.values_list("pk", flat=True))


def requests_to_send(
    customers: list[int], count: int, rng: random.Random, *, retry_share: float = RETRY_SHARE
) -> list[tuple[str, dict]]:
    """`count` (key, body) pairs; `retry_share` of them repeat an earlier pair."""
    sent: list[tuple[str, dict]] = []
    for i in range(count):
        if sent and rng.random() < retry_share:
            sent.append(rng.choice(sent))
            continue
        body = {
            "customer": rng.choice(customers),
            "subject": f"Order {100000 + i}: delivery date",
            "channel": "email",
            "priority": rng.choice([1, 2, 3]),
            "text": "Hello, we have booked your delivery for Tuesday between 9:00 and 12:00.",
        }
        sent.append((str(uuid.uuid4()), body))
    return sent


def create_all(client, sent: list[tuple[str, dict]]) -> tuple[float, list[float], dict[str, int], int]:
    """Sends every request; returns the wall time, each request's time, the ticket id
    each key got, and how many answers were not 201."""
    times, ticket_of, refused = [], {}, 0
    started = time.perf_counter()
    for key, body in sent:
        began = time.perf_counter()
        response = client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        times.append(time.perf_counter() - began)
        if response.status_code != 201:
            refused += 1
            continue
        ticket_id = response.json()["id"]
        if ticket_of.setdefault(key, ticket_id) != ticket_id:
            ticket_of[f"{key}:again"] = ticket_id
    return time.perf_counter() - started, times, ticket_of, refused


def statements_per_create(client, customers: list[int], samples: int = 20) -> tuple[float, float]:
    """Statements per create: all of them, and without the transaction control
    (BEGIN, COMMIT, SAVEPOINT, RELEASE) that the database logs beside them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rng = random.Random(1)
    with CaptureQueriesContext(connection) as captured:
        create_all(client, requests_to_send(customers, samples, rng, retry_share=0))
    statements = [query["sql"] for query in captured.captured_queries]
    control = [sql for sql in statements if sql.split(" ", 1)[0] in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]
    return len(statements) / samples, (len(statements) - len(control)) / samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 creates instead of 3,000.")
    parser.add_argument("-n", type=int, default=None, help="Creates to send.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    count = args.n or (1000 if args.quick else 3000)

    # The throttle still runs (its cache round trip is part of a create); its rate is
    # set above the bench's, as for an integration with a raised limit.
    os.environ["HELPDESK_API_RATE_USER"] = "1000000/minute"
    with throwaway_database("api_create"):
        django_setup()
        from rest_framework.test import APIClient

        from bench.pages import bench_user
        from tickets import pipeline_worker
        from tickets.models import Ticket

        print_machine(database_description())
        load_before = load_average()
        user, token = bench_user()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        customers = known_customers()
        create_all(client, requests_to_send(customers, 50, random.Random(0)))  # warm-up
        statements, sql_only = statements_per_create(client, customers)
        before = Ticket.objects.count()

        sent = requests_to_send(customers, count, random.Random(args.seed))
        cpu_began = time.thread_time()
        wall, times, ticket_of, refused = create_all(client, sent)
        cpu_ms = (time.thread_time() - cpu_began) * 1000 / count
        unique_keys = len({key for key, _ in sent})
        stored = Ticket.objects.filter(pk__in=list(ticket_of.values())).count()
        created = Ticket.objects.count() - before
        duplicated = sum(1 for key in ticket_of if key.endswith(":again")) + max(0, created - unique_keys)
        lost = unique_keys - stored
        pct = percentiles(times)
        rate = count / wall

        print(f"load:      {load_before} before, {load_average()} after (1, 5, 15 min)")
        print(f"data:      {CUSTOMERS} customers, {count} requests ({count - unique_keys} retried keys)")
        print(f"offered:   closed loop, one client (as fast as answers come): {rate:,.0f} creates/s")
        print(f"achieved:  {rate:,.0f} creates/s; p50 {pct['p50'] * 1000:.1f} ms, p95 {pct['p95'] * 1000:.1f} ms, "
              f"p99 {pct['p99'] * 1000:.1f} ms; {statements:.1f} SQL statements per create "
              f"({sql_only:.1f} without BEGIN/COMMIT/SAVEPOINT)")  # fmt: skip
        print(f"cpu:       {cpu_ms:.2f} ms per request in the serving thread (time.thread_time)")
        print(f"checked:   {created} tickets for {unique_keys} keys; lost {lost}, duplicated {duplicated}, "
              f"not 201 {refused}")  # fmt: skip
        # Its worker thread stops before the database is dropped under it.
        pipeline_worker.stop()
        print_result(
            "api_create", requests=count, rate_per_s=round(rate, 1),
            p50_ms=round(pct["p50"] * 1000, 2), p95_ms=round(pct["p95"] * 1000, 2), p99_ms=round(pct["p99"] * 1000, 2),
            sql_per_create=round(statements, 1), sql_without_transaction_control=round(sql_only, 1),
            cpu_ms=round(cpu_ms, 2), lost=lost, duplicated=duplicated, refused=refused, load=load_before,
        )  # fmt: skip


if __name__ == "__main__":
    main()
