"""Polling the IMAP mailbox: every unseen mail goes through the pipeline, and is
marked \\Seen only once it is stored.

Mails are fetched with BODY.PEEK[] (RFC 3501 §6.4.5), which leaves \\Seen alone, so
a crash between fetching and storing leaves the mail unseen for the next poll.
Two polls at once (two beat schedulers, a manual run beside the task) are kept
apart by a lock in the cache; the pipeline's Message-ID deduplication covers
whatever the lock cannot."""

from __future__ import annotations

import imaplib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from channels_app.email.inbound import NotAnEmail, email_ingest
from tickets.models import InboundEvent

logger = logging.getLogger(__name__)

LOCK_KEY = "email:imap-poll-lock"
# Longer than a poll can take; a poll that died releases the lock by expiry.
LOCK_SECONDS = 600
BATCH = 200


class MailboxError(RuntimeError):
    """The mailbox could not be read: not configured, unreachable, refused the login."""


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    rejected: int = 0
    skipped_locked: bool = False


def _connect() -> imaplib.IMAP4:
    if not settings.IMAP_HOST:
        raise MailboxError("IMAP_HOST is not set")
    cls = imaplib.IMAP4_SSL if settings.IMAP_USE_SSL else imaplib.IMAP4
    try:
        client = cls(settings.IMAP_HOST, settings.IMAP_PORT, timeout=settings.EMAIL_TIMEOUT)
        client.login(settings.IMAP_USER, settings.IMAP_PASSWORD)
        status, _ = client.select(settings.IMAP_FOLDER)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"could not open {settings.IMAP_HOST}/{settings.IMAP_FOLDER}: {exc}") from exc
    if status != "OK":
        client.logout()
        raise MailboxError(f"could not select the folder {settings.IMAP_FOLDER}")
    return client


def _message_bytes(data: list) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _poll(client: imaplib.IMAP4, result: PollResult) -> None:
    status, data = client.uid("SEARCH", None, "UNSEEN")
    if status != "OK":
        raise MailboxError(f"the mailbox refused the search: {data!r}")
    uids = (data[0] or b"").split()[:BATCH]
    for uid in uids:
        status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = _message_bytes(data) if status == "OK" else None
        if raw is None:
            logger.warning("could not fetch mail UID %s", uid.decode())
            continue
        result.fetched += 1
        try:
            outcome = email_ingest(raw=raw, source="imap")
        except NotAnEmail:
            # Nothing to store, and nothing a later poll could do better.
            logger.warning("mail UID %s is not a message; marking it seen", uid.decode())
            result.rejected += 1
        else:
            status = outcome.status
            if status == InboundEvent.Status.DUPLICATE:
                result.duplicates += 1
            elif status == InboundEvent.Status.FAILED:
                # Stored as a failed event, kept for replay: seen is right.
                result.failed += 1
            else:
                result.stored += 1
        client.uid("STORE", uid, "+FLAGS", "(\\Seen)")


def mailbox_poll() -> PollResult:
    """Fetches the unseen mail of the mailbox once."""
    result = PollResult()
    token = uuid.uuid4().hex
    if not cache.add(LOCK_KEY, token, LOCK_SECONDS):
        result.skipped_locked = True
        return result
    try:
        client = _connect()
        try:
            _poll(client, result)
        finally:
            try:
                client.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)
    return result
