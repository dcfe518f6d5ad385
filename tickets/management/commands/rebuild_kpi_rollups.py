"""Recomputes the tickets' FCR facts and the daily and monthly KPI rollups from
scratch, or, with --check, proves the stored ones equal a full recomputation (exit
status 1 and the differing rows when they do not)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tickets.services.kpi_rollups import rebuild_kpi_rollups
from tickets.services.kpi_rollups_check import kpi_rollups_differences


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Compare with a full recomputation instead of rebuilding."
        )

    def handle(self, *args, check: bool = False, **options) -> None:
        if not check:
            rebuild_kpi_rollups()
            self.stdout.write("KPI facts and rollups rebuilt.")
            return
        differences = kpi_rollups_differences()
        for line in differences:
            self.stdout.write(line)
        if differences:
            raise CommandError(f"{len(differences)} rows differ from a full recomputation")
        self.stdout.write("KPI facts and rollups equal a full recomputation.")
