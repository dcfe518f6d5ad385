"""Console search: what an agent types into the search box, at the demo's size.

    DATABASE_URL=postgres://... python bench/console_search.py [--quick] [--explain]

Needs a seeded database (it reads, never writes): `manage.py seed_demo --tickets
100000 --messages-per-ticket 10` is the goal's size (100k tickets, about a million
messages), with the search documents built (`manage.py rebuild_search_documents`).
Every query runs the inbox's "All" view as the console does
(tickets.selectors.console.inbox_tickets): the first page of 50 rows and the count
the pager needs (the first page and whether there is another). The queries are words from inside the messages (English, a
tracking number, Thai segmented by newmm), a ticket reference and one customer's
phone in four spellings and email in two. `--explain` prints PostgreSQL's EXPLAIN
ANALYZE of each page query. `--quick` times 3 rounds instead of 10, still at the
seeded size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import database_description, django_setup, percentiles, print_machine, print_result  # noqa: E402

GOAL_MS = 100.0


def _queries() -> list[tuple[str, str]]:
    from tickets.models import ContactIdentity, Message, Ticket

    # Addresses and a reference of an active ticket, which the "All" view shows.
    active = Ticket.objects.filter(status__in=Ticket.ACTIVE_STATUSES)
    customers = active.values("customer_id")
    phone = ContactIdentity.objects.filter(kind="phone", address__startswith="+668", customer_id__in=customers)
    phone = phone.values_list("address", flat=True).first()
    email = ContactIdentity.objects.filter(kind="email", customer_id__in=customers).values_list("address", flat=True).first()
    ticket = active.order_by("-pk").values_list("pk", flat=True).first()
    thai = Message.objects.filter(text__regex=r"[ก-๙]{12,}").values_list("text", flat=True).first() or ""
    # A run of Thai from inside a message, as an agent would paste it.
    run = next((word for word in thai.split() if len(word) >= 10 and "\u0e00" <= word[0] <= "\u0e7f"), "")
    queries = [
        ("word", "refund"),
        ("commonest word", "the"),
        ("commonest Thai", "ค่ะ"),
        ("two words", "invoice wrong"),
        ("no match", "zzqxv"),
        ("Thai words", "ใบเสร็จ"),
        ("reference", f"HD-{ticket}"),
    ]
    if run:
        queries.append(("Thai run (newmm)", run[:12]))
    if phone:
        local = "0" + phone[3:]
        queries += [
            ("phone local", local),
            ("phone spaced", f"+66 {phone[3:5]} {phone[5:8]} {phone[8:]}"),
            ("phone E.164", phone),
            ("phone no plus", phone[1:]),
            ("whatsapp:", f"whatsapp:{phone}"),
        ]
    if email:
        queries += [("email", email), ("email upper", email.upper())]
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    django_setup(migrate=False)

    from django.contrib.auth import get_user_model
    from django.db import connection

    from tickets.models import Message, Ticket
    from tickets.selectors import console as console_selectors
    from tickets.selectors.search import search_words

    tickets_n, messages_n = Ticket.objects.count(), Message.objects.count()
    if tickets_n < 1000:
        sys.exit("seed the database first: manage.py seed_demo --tickets 100000 --messages-per-ticket 10")
    user = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.first()
    rounds = 3 if args.quick else 10
    print_machine(database_description())
    print(f"data: {tickets_n} tickets, {messages_n} messages; {rounds} rounds per query\n")

    def run(query: str) -> tuple[int, int]:
        # As the console's inbox view pages a search (tickets.console.inbox_views.inbox): the
    # 'found' column is the page, plus one when an older page exists.
        inbox = console_selectors.InboxQuery(view="all", query=query)
        page = console_selectors.inbox_page(user=user, inbox=inbox, size=50)
        return len(page.rows), len(page.rows) + (1 if page.next_cursor else 0)

    rows = []
    all_ms: list[float] = []
    for label, query in _queries():
        run(query)  # warm: plans and pages cached as on a working server
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            shown, total = run(query)
            times.append((time.perf_counter() - started) * 1000)
        all_ms += times
        rows.append((label, query, shown, total, statistics.median(times), max(times)))
        if args.explain and connection.vendor == "postgresql":
            inbox = console_selectors.InboxQuery(view="all", query=query)
            page = console_selectors.inbox_tickets(user=user, inbox=inbox)[:50]
            print(f"--- {label}: {query!r} (words {search_words(query)})")
            print(page.explain(analyze=True, buffers=True))
            print()
    width = max(len(label) for label, *_ in rows)
    print(f"{'query':<{width}}  {'shown':>5} {'found':>7}  {'median ms':>9} {'max ms':>8}")
    for label, query, shown, total, median, worst in rows:
        print(f"{label:<{width}}  {shown:>5} {total:>7}  {median:>9.1f} {worst:>8.1f}   {query}")
    figures = percentiles(all_ms)
    worst_median = max(row[4] for row in rows)
    print(f"\nall queries: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms; worst median {worst_median:.1f} ms "
          f"(goal {GOAL_MS:.0f} ms)")
    print_result(
        "console_search", tickets=tickets_n, messages=messages_n, p50_ms=round(figures["p50"], 2),
        p95_ms=round(figures["p95"], 2), worst_median_ms=round(worst_median, 2), goal_ms=GOAL_MS,
        ratio=round(GOAL_MS / worst_median, 2) if worst_median else None, queries=len(rows),
    )  # fmt: skip


if __name__ == "__main__":
    main()
