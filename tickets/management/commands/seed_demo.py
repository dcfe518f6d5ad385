"""`manage.py seed_demo`: demo data in Thai and English on every channel, and the
demo logins."""

from __future__ import annotations

import os
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tickets.models import Message, Ticket
from tickets.services.demo import demo_logins, demo_seed
from tickets.services.demo.bulk import demo_tables_compact
from tickets.services.demo.phases import PhaseTimes
from tickets.services.demo.plan import HISTORY_DAYS
from tickets.services.inbox_counters import inbox_counters_fold
from tickets.services.kpi_rollups import rebuild_kpi_rollups
from tickets.services.search_documents import rebuild_search_documents

# Mail goes to the console's dev outbox while no mail server is configured (helpdesk/settings/email.py).
DEV_OUTBOX_EMAIL_BACKEND = "channels_app.outbox.mail.EmailBackend"


class Command(BaseCommand):
    help = (
        "Seeds a realistic demo data set: staff users with known passwords, teams, Thai and English "
        "customers, and tickets on email, SMS, WhatsApp and chat in every status. A few showcase "
        "contacts go through the real inbound pipeline; the bulk of the tickets is written in batches "
        "(COPY on PostgreSQL, bulk_create elsewhere) and bypasses the pipeline (no InboundEvent rows, no "
        "realtime events, no follow-up tasks), with the same KPI facts the services record. Only seed_demo "
        "does that. Running it again adds more tickets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=300, help="Bulk tickets to create (default 300).")
        parser.add_argument(
            "--messages-per-ticket", type=float, default=4.0, help="Average messages per ticket (default 4)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data.")
        parser.add_argument("--batch-size", type=int, default=2000, help="Tickets written per transaction.")
        parser.add_argument(
            "--days", type=int, default=HISTORY_DAYS,
            help=f"How far back the resolved and closed tickets reach, in days (default {HISTORY_DAYS}).",
        )  # fmt: skip
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1,
            help="Processes writing the bulk tickets at once on PostgreSQL (default: one per CPU).",
        )  # fmt: skip
        parser.add_argument(
            "--if-empty", action="store_true", help="If there are tickets already, only print the logins."
        )
        parser.add_argument(
            "--no-showcase", action="store_true", help="Skip the few contacts sent through the real pipeline."
        )
        parser.add_argument("--base-url", default=settings.HELPDESK_PUBLIC_URL, help="Where the printed links point.")

    def handle(self, *args, **options) -> None:
        if (
            options["tickets"] < 0
            or options["messages_per_ticket"] < 1
            or options["batch_size"] < 1
            or options["workers"] < 1
        ):
            raise CommandError("--tickets must be >= 0, --messages-per-ticket >= 1 and --batch-size and --workers >= 1")
        if options["days"] < 7:
            raise CommandError("--days must be >= 7: closed tickets are a week old at least")
        if options["if_empty"] and Ticket.objects.exists():
            self.stdout.write("The database already has tickets; nothing seeded.")
            self._print_logins(options["base_url"])
            return
        started = time.monotonic()
        times = PhaseTimes()
        bar = tqdm(
            total=options["tickets"], unit="ticket", unit_scale=True, desc="Seeding", file=sys.stderr,
            # None: no bar where stderr is not a terminal (a log file would get every redraw).
            disable=True if options["verbosity"] == 0 or options["tickets"] == 0 else None,
        )  # fmt: skip
        with bar:
            summary = demo_seed(
                tickets=options["tickets"],
                messages_per_ticket=options["messages_per_ticket"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                showcase=not options["no_showcase"],
                history_days=options["days"],
                progress=bar.update,
                workers=options["workers"],
                times=times,
            )
        # The bulk load went around the services: the KPI facts and rollups follow it.
        with times.phase("KPI facts and rollups"):
            rebuild_kpi_rollups()
        # The bulk-written tickets bypass the write path that keeps the search documents.
        with times.phase("search documents"):
            rebuild_search_documents()
        # Each batch's trigger left its deltas; fold them as the periodic task would, so
        # the first inbox page reads one counter row per combination, not thousands.
        with times.phase("inbox counters"):
            inbox_counters_fold()
        if summary.tickets:
            with times.phase("compacted and analyzed"):
                demo_tables_compact()
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.tickets:,} tickets with {summary.messages:,} messages "
                f"({summary.attachments:,} attachments) for {summary.customers:,} customers, "
                f"plus {summary.pipeline_messages} showcase messages through the pipeline, in {elapsed:.1f} s."
            )
        )
        if options["verbosity"] >= 2:
            self.stdout.write("\n".join(times.lines()))
        self.stdout.write(
            f"The database now holds {Ticket.objects.count():,} tickets and {Message.objects.count():,} messages."
        )
        self._print_logins(options["base_url"])

    def _print_logins(self, base_url: str) -> None:
        base_url = base_url.rstrip("/")
        existing = set(get_user_model().objects.values_list("username", flat=True))
        lines = ["", "Demo logins", "===========", f"Helpdesk:   {base_url}/", f"API docs:   {base_url}/api/docs/"]
        for login in demo_logins():
            if login.username not in existing:
                continue
            who = f"{login.username} / {login.password}" if login.password else f"{login.username} (no password)"
            note = f"  ({login.note})" if login.note else ""
            lines.append(f"{login.label + ':':<12}{base_url}{login.path:<10}  {who}{note}")
        if settings.EMAIL_BACKEND == DEV_OUTBOX_EMAIL_BACKEND:
            lines.append(
                f"{'Outbox:':<12}{base_url}/console/outbox/  every mail and SMS sent, the customer's sign-in link too"
            )
        self.stdout.write("\n".join(lines) + "\n")
