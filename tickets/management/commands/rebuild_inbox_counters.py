"""Recounts the inbox counters from the tickets, or with --check proves them equal."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tickets.services.inbox_counters import (
    counters_supported,
    inbox_counter_mismatches,
    inbox_counters_rebuild,
)


class Command(BaseCommand):
    help = "Rebuild the inbox counters from the tickets (PostgreSQL), or --check that they agree."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Compare only; exit 1 on any difference.")

    def handle(self, *args, check: bool = False, **options) -> None:
        if not counters_supported():
            self.stdout.write("This database counts the inbox directly; there are no counters to rebuild.")
            return
        if check:
            mismatches = inbox_counter_mismatches()
            for status, channel, priority, assignee, team, direct, counted in mismatches:
                self.stdout.write(
                    f"{status} {channel} priority={priority} assignee={assignee} team={team}: "
                    f"{direct} tickets, counted {counted}"
                )
            if mismatches:
                raise CommandError(f"{len(mismatches)} inbox counts differ from the tickets.")
            self.stdout.write(self.style.SUCCESS("The inbox counters equal the tickets."))
            return
        inbox_counters_rebuild()
        self.stdout.write(self.style.SUCCESS("Inbox counters rebuilt."))
