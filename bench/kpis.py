"""The KPI endpoint, GET /api/v1/kpis/, on a seeded data set.

    DATABASE_URL=postgres://... python bench/kpis.py [--quick] [--tickets 100000] [--messages-per-ticket 10]

Seeds a database of its own (created beside DATABASE_URL's, dropped at the end)
with `manage.py seed_demo --tickets N --messages-per-ticket M --no-showcase --days 365` (which
writes survey answers for about half the resolved tickets and chat sessions for the
chats), runs ANALYZE, then calls the endpoint through Django's test client with
several filter combinations — 30 and 90 days and a year, a channel, a team, an agent, the
dashboard's detailed call with the daily trend and the agent table, and the first
page of the rows behind FCR (/api/v1/kpis/rows/) — and reports the median and p95
over every call, and in its JSON line the dashboard's detailed call (`detail_p95_ms`)
and the 1-year range (`year_p95_ms`, `year_detail_p95_ms`) on their own. --quick seeds
the same 100,000 tickets and makes fewer calls. --explain prints the plans of the queries
of one call.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
from datetime import timedelta
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


def seed(*, tickets: int, messages_per_ticket: float) -> tuple[int, int, float]:
    from django.core.management import call_command

    from tickets.models import Message, Ticket

    started = time.monotonic()
    call_command(
        "seed_demo", tickets=tickets, messages_per_ticket=messages_per_ticket, no_showcase=True, days=365, verbosity=1
    )
    vacuum_analyze()
    return Ticket.objects.count(), Message.objects.count(), time.monotonic() - started


def reuse() -> tuple[int, int]:
    from tickets.models import Message, Survey, Ticket

    if not Survey.objects.exists():
        add_survey_answers()
    vacuum_analyze()
    return Ticket.objects.count(), Message.objects.count()


def add_survey_answers() -> None:
    """CSAT, CES and NPS answers for a third of the resolved tickets."""
    from tickets.models import Survey, Ticket

    rng = random.Random(7)
    resolved = Ticket.objects.filter(resolved_at__isnull=False).values_list("pk", "customer_id", "channel", "resolved_at")
    surveys = []
    for ticket_id, customer_id, channel, resolved_at in resolved.iterator(chunk_size=5000):
        if rng.random() > 0.33:
            continue
        answered = resolved_at + timedelta(hours=rng.uniform(0.1, 30))
        for kind, low, high in (("csat", 1, 5), ("ces", 1, 7), ("nps", 0, 10)):
            surveys.append(
                Survey(
                    ticket_id=ticket_id, customer_id=customer_id, resolution_number=1, kind=kind, channel=channel,
                    scale_min=low, scale_max=high, status="answered", score=rng.randint(low, high),
                    created_at=resolved_at, answered_at=answered,
                )
            )  # fmt: skip
    Survey.objects.bulk_create(surveys, batch_size=5000)


def vacuum_analyze() -> None:
    """The statistics and visibility map that autovacuum keeps up to date in production."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def combinations() -> list[tuple[str, dict[str, str]]]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Max
    from django.utils import timezone

    from tickets.models import Team, Ticket

    last = Ticket.objects.aggregate(top=Max("created_at"))["top"]
    to = timezone.localtime(last).date()
    month = {"from": (to - timedelta(days=29)).isoformat(), "to": to.isoformat()}
    quarter = {"from": (to - timedelta(days=89)).isoformat(), "to": to.isoformat()}
    year = {"from": (to - timedelta(days=364)).isoformat(), "to": to.isoformat()}
    team = Team.objects.annotate(n=Count("tickets")).order_by("-n").first()
    agent = (
        get_user_model().objects.annotate(n=Count("assigned_tickets")).order_by("-n").values_list("pk", flat=True).first()
    )
    combos = [
        ("30 days", month),
        ("90 days", quarter),
        ("30 days, whatsapp", {**month, "channel": "whatsapp"}),
        ("30 days, dashboard detail", {**month, "detail": "1"}),
        ("1 year", year),
        ("1 year, dashboard detail", {**year, "detail": "1"}),
        ("30 days, rows behind FCR", {**month, "metric": "fcr", "rows": "1"}),
    ]
    combos.append(("1 year, whatsapp", {**year, "channel": "whatsapp"}))
    if team is not None:
        combos.append(("30 days, one team", {**month, "team": str(team.pk)}))
        combos.append(("1 year, one team", {**year, "team": str(team.pk)}))
    if agent is not None:
        combos.append(("90 days, one agent", {**quarter, "agent": str(agent)}))
        combos.append(("1 year, one agent", {**year, "agent": str(agent)}))
    return combos


def client_for_supervisor():
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.factories import make_user
    from tickets.models import Role

    user = get_user_model().objects.filter(username="kpi-bench").first() or make_user("kpi-bench", roles=[Role.SUPERVISOR])
    client = Client()
    client.force_login(user)
    return client


def explain(client, params: dict[str, str]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/kpis/", params)
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if "tickets_" not in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"--- {query['time']} s\n{sql[:300]}...\n{plan}\n")


def statement_timings(client, params: dict[str, str], *, repeat: int) -> None:
    """Each statement's own time (the median over `repeat` calls): robust to a busy
    machine where the call's wall-clock time is not."""
    from django.db import connection

    timings: dict[int, list[float]] = {}
    texts: dict[int, str] = {}
    call: list[float] = []  # this call's statements so far

    def timed(execute, sql, sql_params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, sql_params, many, context)
        finally:
            timings.setdefault(len(call), []).append((time.perf_counter() - started) * 1000)
            texts[len(call)] = " ".join(sql.split())[:90]
            call.append(started)

    for _ in range(repeat):
        call.clear()
        cpu = time.process_time()
        with connection.execute_wrapper(timed):
            assert client.get("/api/v1/kpis/", params).status_code == 200
        print(f"  call: {(time.process_time() - cpu) * 1000:.1f} ms of this process's CPU")
    for n, ms in timings.items():
        print(f"  {statistics.median(ms):7.1f} ms  {texts[n]}")
    print(f"  {sum(statistics.median(ms) for ms in timings.values()):7.1f} ms in {len(timings)} statements")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 calls per combination instead of 10.")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages-per-ticket", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=10, help="Calls per filter combination (after one warm-up).")
    parser.add_argument("--explain", action="store_true", help="Print the query plans of one detailed call.")
    parser.add_argument(
        "--statements", action="store_true", help="Print each statement's own time in the 1 year detailed call."
    )
    parser.add_argument(
        "--reuse-seeded",
        action="store_true",
        help="Measure the database DATABASE_URL names as it is, already seeded by seed_demo (a bench database "
        "of your own, never `helpdesk`): it is migrated and given survey answers if it has none.",
    )
    args = parser.parse_args()
    if args.quick:
        args.repeat = min(args.repeat, 5)

    database = contextlib.nullcontext() if args.reuse_seeded else throwaway_database("kpis")
    if args.reuse_seeded and urlsplit(os.environ.get("DATABASE_URL", "")).path.strip("/") in ("", "helpdesk"):
        raise SystemExit("--reuse-seeded needs DATABASE_URL naming a bench database of your own, not `helpdesk`")
    with database:
        django_setup()
        db = database_description()
        if args.reuse_seeded:
            (tickets, messages), seed_s = reuse(), 0.0
        else:
            tickets, messages, seed_s = seed(tickets=args.tickets, messages_per_ticket=args.messages_per_ticket)
        client = client_for_supervisor()
        combos = combinations()
        print_machine(db)
        print(f"data:      {tickets:,} tickets, {messages:,} messages (seeded in {seed_s:.0f} s)")
        timings: list[float] = []
        p95_by_label: dict[str, float] = {}
        for label, params in combos:
            path = "/api/v1/kpis/rows/" if params.pop("rows", None) else "/api/v1/kpis/"
            response = client.get(path, params)  # warm-up
            assert response.status_code == 200, response.content[:500]
            mine = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(path, params)
                mine.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            timings.extend(mine)
            figures = percentiles(mine, (50, 95))
            p95_by_label[label] = round(figures["p95"], 1)
            print(f"{label:28s} median {statistics.median(mine):7.1f} ms   p95 {figures['p95']:7.1f} ms   ({args.repeat} calls)")
        if args.statements:
            print("1 year, dashboard detail, statement by statement:")
            statement_timings(client, dict(combos)["1 year, dashboard detail"], repeat=args.repeat)
        if args.explain:
            explain(client, dict(combos[-1][1], detail="1"))
        overall = percentiles(timings, (50, 95))
        print(f"{'all calls':28s} median {statistics.median(timings):7.1f} ms   p95 {overall['p95']:7.1f} ms   ({len(timings)} calls)")
    print_result(
        "kpis",
        p50_ms=round(statistics.median(timings), 1),
        p95_ms=round(overall["p95"], 1),
        detail_p95_ms=p95_by_label["30 days, dashboard detail"],
        year_p95_ms=p95_by_label["1 year"],
        year_detail_p95_ms=p95_by_label["1 year, dashboard detail"],
        tickets=tickets,
        messages=messages,
        calls=len(timings),
        engine=db["engine"],
        load=load_average(),
    )


if __name__ == "__main__":
    main()
