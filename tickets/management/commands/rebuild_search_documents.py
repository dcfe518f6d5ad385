"""`manage.py rebuild_search_documents`: rebuilds the console's search documents
from the tickets, messages and customers, for a database made before they existed
or to repair them."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from tickets.models import Ticket
from tickets.services.search_documents import search_documents_rebuild


class Command(BaseCommand):
    help = "Rebuilds the search document of every ticket (or, with --missing, of tickets without one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--missing", action="store_true", help="Only tickets that have no document yet.")

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        total = Ticket.objects.count()
        with tqdm(total=total, unit="ticket", unit_scale=True, file=sys.stderr, disable=options["verbosity"] == 0) as bar:
            written = search_documents_rebuild(missing_only=options["missing"], progress=bar.update)
        self.stdout.write(f"Rebuilt {written:,} search documents in {time.monotonic() - started:.1f} s.")
