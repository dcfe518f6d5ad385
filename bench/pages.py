"""The pages agents and supervisors wait for, at 10k and 100k tickets: time, SQL
statements and the slowest statement with its plan, in-process and over HTTP.

    DATABASE_URL=postgres://... python bench/pages.py [--quick] [--sizes 10000,100000] [--keep]
        [--pages inbox,ticket_list] [--calls 50]

Pages (`--pages` measures only those named):
- `inbox`: the console inbox as an agent opens it: `/console/`, their default view
  ("mine") with the counts of every view, page 1 (50 rows), signed in as the agent
  with the most active tickets;
- `ticket_list`: REST `GET /api/v1/tickets/`, page 1 (and `ticket_list_deep`, page 1000
  where there are that many pages, by the cursor that following `next` would reach);
- `ticket_page`: the console page of the busiest customer's latest ticket;
- `kpis_detail`: REST `GET /api/v1/kpis/` over the last 30 days with the daily trend
  and the agent table (the dashboard's call);
- `kpis_year`: the same over 365 days, without detail.

Each size is seeded with `seed_demo --tickets N --messages-per-ticket 10 --days 365` into a
database of its own, beside DATABASE_URL's, then ANALYZEd. With `--keep` the
seeded databases are kept (named `<database>_pages_<N>`) and reused by the next
run, which only reads them (no migration; it stops if they need one) apart from
the signed-in session; without it they are dropped at the end. In-process runs go through Django's
test client (view, SQL and template rendering, no network); the HTTP runs go to
`uvicorn --workers 2` from 4 keep-alive connections. Beside the times, each page
reports its CPU: in-process, this process's CPU time per call (median); over HTTP,
the CPU time of the server's processes (background threads included) divided by
the calls. The JSON line names each
figure `<page>_<stat>` (`inbox_p95_ms`, `inbox_sql`, ...), `http_` in front for the
HTTP runs, and the size behind (`inbox_p95_ms_100000`). `--quick` runs 20 calls per
page and size instead of 50 (`--calls` sets any number) and only 100k tickets
unless --sizes says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    _pg_admin_connect,
    database_description,
    django_setup,
    load_average,
    percentiles,
    print_machine,
    print_result,
)
from bench.webhooks import _free_port, start_server, stop_server  # noqa: E402

HTTP_CONNECTIONS = 4
HTTP_WARM_UP_CALLS = 6


@contextlib.contextmanager
def sized_database(tickets: int, *, keep: bool):
    """A PostgreSQL database seeded with `tickets` tickets: reused when kept from an
    earlier run, else created (and dropped at the end unless `keep`)."""
    given = os.environ["DATABASE_URL"]
    parts = urlsplit(given)
    name = f"{parts.path.lstrip('/') or 'helpdesk'}_pages_{tickets}"[:63]
    admin = _pg_admin_connect(given)
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
    if not exists:
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield os.environ["DATABASE_URL"], exists
    finally:
        from django.db import connections

        connections.close_all()
        os.environ["DATABASE_URL"] = given
        if not keep:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def use_database(name: str, *, migrate: bool) -> None:
    """Points this process's Django at the size's database (set up once, switched
    between sizes: the connections and their pool are closed first) and migrates a
    new one; a kept one must be up to date already, as it is only read."""
    django_setup(migrate=False)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    for connection in connections.all():
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()
    settings.DATABASES["default"]["NAME"] = name
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
        return
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise SystemExit(f"{name} needs migrations: drop it, or run without --keep, to seed it again")


def seed(tickets: int) -> float:
    from django.core.management import call_command
    from django.db import connection

    from tickets.models import Ticket
    from tickets.services.inbox_counters import inbox_counters_fold

    started = time.perf_counter()
    if not Ticket.objects.exists():
        call_command("seed_demo", tickets=tickets, messages_per_ticket=10, batch_size=5000, days=365, verbosity=0)
    # As the periodic task keeps them: one counter row per combination, not one per
    # ticket written (100k tickets leave ~21,000 rows for ~1,700 combinations, and
    # the inbox's counts read them all).
    inbox_counters_fold()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def bench_user():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from tickets.models import AgentProfile, Role

    user, created = get_user_model().objects.get_or_create(username="bench-supervisor", defaults={"is_staff": True})
    if created:
        for role in (Role.AGENT, Role.SUPERVISOR):
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        AgentProfile.objects.get_or_create(user=user)
    token, _ = Token.objects.get_or_create(user=user)
    return user, token.key


def inbox_agent():
    """The agent with the most active tickets: their default view fills a page."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from tickets.models import Ticket

    busiest = (
        Ticket.objects.filter(status__in=Ticket.ACTIVE_STATUSES, assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("assignee_id", flat=True)
        .first()
    )
    return get_user_model().objects.get(pk=busiest)


def page_urls() -> dict[str, str]:
    from django.db.models import Count
    from django.utils import timezone

    from tickets.models import Ticket

    busiest = (
        Ticket.objects.values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("customer_id", flat=True)
    ).first()
    ticket = Ticket.objects.filter(customer_id=busiest).order_by("-updated_at").first()
    today = timezone.localdate()
    urls = {
        "inbox": "/console/",
        "ticket_list": "/api/v1/tickets/",
        "ticket_page": f"/console/tickets/{ticket.pk}/",
        "kpis_detail": f"/api/v1/kpis/?from={today - timedelta(days=29)}&to={today}&detail=true",
        "kpis_year": f"/api/v1/kpis/?from={today - timedelta(days=364)}&to={today}",
    }
    if Ticket.objects.count() >= 50 * 1000:
        urls["ticket_list_deep"] = ticket_list_page_url(1000)
    return urls


def ticket_list_page_url(page: int) -> str:
    """The ticket list's `page`, as its keyset cursor: after the last ticket of the page
    before it (timestamps are to the microsecond, so no tie spans the two pages)."""
    from rest_framework.pagination import Cursor

    from tickets.models import Ticket
    from tickets.pagination import TicketListPagination

    paginator = TicketListPagination()
    ordered = Ticket.objects.order_by(*paginator.ordering).values_list("updated_at", flat=True)
    paginator.base_url = "/api/v1/tickets/"
    position = ordered[(page - 1) * paginator.page_size - 1]
    return paginator.encode_cursor(Cursor(offset=0, reverse=False, position=str(position)))


def in_process(urls: dict[str, str], headers: dict[str, str], *, calls: int) -> dict[str, dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers=headers)
    results = {}
    for page, url in urls.items():
        client.get(url)  # warm-up
        times, cpu_times, slowest = [], [], None
        for _ in range(calls):
            with CaptureQueriesContext(connection) as captured:
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append(time.perf_counter() - started)
                cpu_times.append(time.process_time() - cpu_started)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            query = max(captured.captured_queries, key=lambda q: float(q["time"]), default=None)
            if query and (slowest is None or float(query["time"]) > float(slowest["time"])):
                slowest = query
        pct = percentiles(times)
        results[page] = {
            "p50_ms": round(pct["p50"] * 1000, 1), "p95_ms": round(pct["p95"] * 1000, 1),
            "p99_ms": round(pct["p99"] * 1000, 1), "sql": len(captured.captured_queries),
            "cpu_ms": round(percentiles(cpu_times)["p50"] * 1000, 1),
            "bytes": len(response.content), "slowest": slowest,
        }  # fmt: skip
    return results


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        return "\n".join(f"             {row[0]}" for row in cursor.fetchall()[:14])


def session_cookie(user) -> str:
    """A signed-in session of `user`, for the console pages over HTTP."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def session_cpu_s(session_id: int) -> float:
    """The CPU time (user and system) that the processes of a session have used: the
    server and its workers, background threads included."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/stat") as stat:
                # The command may hold spaces; the fields after it are fixed.
                fields = stat.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == session_id:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def over_http(
    base_url: str, urls: dict[str, str], headers: dict[str, str], *, calls: int, server_session: int
) -> dict[str, dict]:
    import aiohttp

    results = {}
    connector = aiohttp.TCPConnector(limit=HTTP_CONNECTIONS)
    async with aiohttp.ClientSession(base_url, connector=connector, headers=headers) as session:
        for page, url in urls.items():
            times: list[float] = []

            async def worker(count: int, url: str = url, times: list[float] = times) -> None:
                for _ in range(count):
                    started = time.perf_counter()
                    async with session.get(url, allow_redirects=False) as response:
                        await response.read()
                        if response.status != 200:
                            raise SystemExit(f"{url} answered {response.status} over HTTP")
                    times.append(time.perf_counter() - started)

            # Every connection warms up, so that each server worker has served the page
            # before the timed calls (a single warm-up left one worker cold: its first
            # call was the p95), and its pooled database connections have prepared the
            # inbox's statements (on their fifth run) as in a server that has been up.
            await asyncio.gather(*(worker(HTTP_WARM_UP_CALLS) for _ in range(HTTP_CONNECTIONS)))
            times.clear()
            cpu_started = session_cpu_s(server_session)
            await asyncio.gather(*(worker(max(1, calls // HTTP_CONNECTIONS)) for _ in range(HTTP_CONNECTIONS)))
            server_cpu_s = session_cpu_s(server_session) - cpu_started
            pct = percentiles(times)
            results[page] = {k: round(v * 1000, 1) for k, v in pct.items()}
            results[page]["server_cpu"] = round(server_cpu_s / len(times) * 1000, 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", default="", help="Comma-separated ticket counts (default 10000,100000).")
    parser.add_argument("--keep", action="store_true", help="Keep the seeded databases for the next run.")
    parser.add_argument("--pages", default="", help="Comma-separated pages to measure (default: all).")
    parser.add_argument("--calls", type=int, default=0, help="Calls per page and size (default 50, 20 with --quick).")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench/pages.py needs DATABASE_URL pointing at PostgreSQL")
    sizes = [int(s) for s in (args.sizes or ("100000" if args.quick else "10000,100000")).split(",")]
    calls = args.calls or (20 if args.quick else 50)
    wanted = [p for p in args.pages.split(",") if p]
    figures: dict[str, float] = {}
    os.environ.setdefault("HELPDESK_ALLOW_DEV_SECRETS", "1")
    # The pages are measured, not the API's per-user limit, which a shared (Redis) cache
    # enforces across the in-process and the HTTP runs.
    os.environ.setdefault("HELPDESK_API_RATE_USER", "1000000/minute")
    for size in sizes:
        with sized_database(size, keep=args.keep) as (database_url, reused):
            use_database(urlsplit(database_url).path.lstrip("/"), migrate=not reused)
            seeded_s = 0.0 if reused else seed(size)
            from tickets.models import Message, Ticket

            db = database_description()
            _, token = bench_user()
            urls = {page: url for page, url in page_urls().items() if not wanted or page in wanted}
            # The API pages authenticate by the token, the console by the inbox agent's session.
            headers = {"Authorization": f"Token {token}", "Cookie": session_cookie(inbox_agent())}
            print(f"bench pages: {Ticket.objects.count():,} tickets, {Message.objects.count():,} messages "
                  f"({'reused' if reused else f'seeded in {seeded_s:.0f} s'})")  # fmt: skip
            print_machine(db)
            local = in_process(urls, headers, calls=calls)
            for page, result in local.items():
                print(f"{page:17s} p50 {result['p50_ms']:7.1f} ms  p95 {result['p95_ms']:7.1f} ms  "
                      f"p99 {result['p99_ms']:7.1f} ms  {result['sql']:3d} SQL  {result['bytes'] / 1024:6.1f} KB  "
                      f"CPU {result['cpu_ms']:5.1f} ms/call (median)")  # fmt: skip
                slowest = result["slowest"]
                if slowest:
                    print(f"  slowest   {float(slowest['time']) * 1000:.1f} ms: {slowest['sql'][:220]}")
                    with contextlib.suppress(Exception):
                        print(explain(slowest["sql"]))
                figures |= {
                    f"{page}_p50_ms_{size}": result["p50_ms"], f"{page}_p95_ms_{size}": result["p95_ms"],
                    f"{page}_p99_ms_{size}": result["p99_ms"], f"{page}_sql_{size}": result["sql"],
                    f"{page}_cpu_ms_{size}": result["cpu_ms"],
                }  # fmt: skip
            port = _free_port()
            # The server signs sessions with this process's key, so the console's cookie holds.
            from django.conf import settings

            env = {**os.environ, "DATABASE_URL": database_url, "HELPDESK_PUBLIC_URL": f"http://127.0.0.1:{port}",
                   "SECRET_KEY": settings.SECRET_KEY, "LOG_LEVEL": "ERROR"}  # fmt: skip
            server = start_server(port, env, 2)
            try:
                remote = asyncio.run(
                    over_http(f"http://127.0.0.1:{port}", urls, headers, calls=calls, server_session=server.pid)
                )
            finally:
                stop_server(server)
            for page, pct in remote.items():
                print(f"http {page:12s} p50 {pct['p50']:7.1f} ms  p95 {pct['p95']:7.1f} ms  p99 {pct['p99']:7.1f} ms "
                      f"({HTTP_CONNECTIONS} connections)  server CPU {pct['server_cpu']:5.1f} ms/call")  # fmt: skip
                figures |= {f"http_{page}_{k}_ms_{size}": v for k, v in pct.items()}
            print(f"load:      {load_average()}")
    print_result("pages", sizes=sizes, calls=calls, load=load_average(), **figures)


if __name__ == "__main__":
    main()
