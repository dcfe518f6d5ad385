"""Polls the IMAP mailbox once (IMAP_HOST, IMAP_USER, ...): what the beat task does."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from channels_app.email.imap import MailboxError, mailbox_poll


class Command(BaseCommand):
    help = "Fetches the unseen mail of the IMAP mailbox once and feeds it through the inbound pipeline."

    def handle(self, *args, **options) -> None:
        try:
            result = mailbox_poll()
        except MailboxError as exc:
            raise CommandError(str(exc)) from exc
        if result.skipped_locked:
            self.stdout.write("another poll of the mailbox is running; nothing done")
            return
        self.stdout.write(
            f"fetched {result.fetched}: {result.stored} stored, {result.duplicates} duplicates, "
            f"{result.failed} failed (kept for replay), {result.rejected} not messages"
        )
