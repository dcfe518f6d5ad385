"""Feeds raw emails (RFC 5322 files, or standard input with "-") through the pipeline."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from channels_app.email.inbound import NotAnEmail, email_ingest
from tickets.models import InboundEvent


class Command(BaseCommand):
    help = "Feeds raw emails through the inbound pipeline: FILE... or - for standard input."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help='an RFC 5322 message; "-" reads standard input')

    def handle(self, *args, files: list[str], **options) -> None:
        failed = 0
        for name in files:
            try:
                raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            except OSError as exc:
                raise CommandError(f"{name}: {exc.strerror or exc}") from exc
            try:
                result = email_ingest(raw=raw, source="command")
            except NotAnEmail as exc:
                self.stderr.write(f"{name}: rejected: {exc}")
                failed += 1
                continue
            ticket = f" ticket {result.ticket.reference}" if result.ticket else ""
            self.stdout.write(f"{name}: {result.status}{ticket}")
            if result.status == InboundEvent.Status.FAILED:
                failed += 1
        if failed:
            raise CommandError(f"{failed} of {len(files)} messages were not stored; see above")
