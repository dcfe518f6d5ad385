"""Processes again the inbound events that failed (or never finished)."""

from django.core.management.base import BaseCommand

from tickets.models import InboundEvent
from tickets.services.ingest import inbound_event_process


class Command(BaseCommand):
    help = "Replay failed inbound events through the pipeline."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Only these events (default: every failed one).")
        parser.add_argument(
            "--stuck", action="store_true", help="Also events left 'received' (a crash before processing)."
        )

    def handle(self, *args, ids, stuck, **options):
        statuses = [InboundEvent.Status.FAILED] + ([InboundEvent.Status.RECEIVED] if stuck else [])
        events = InboundEvent.objects.filter(status__in=statuses).order_by("pk")
        if ids:
            events = events.filter(pk__in=ids)
        counts: dict[str, int] = {}
        for event in events.iterator(chunk_size=200):
            result = inbound_event_process(event)
            counts[result.status] = counts.get(result.status, 0) + 1
        if not counts:
            self.stdout.write("No events to replay.")
        for status, count in sorted(counts.items()):
            self.stdout.write(f"{status}: {count}")
