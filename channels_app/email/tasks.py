"""Celery tasks of the email channel. Safe to run twice at once: the poll holds a
lock, and the pipeline deduplicates on Message-ID anyway."""

from __future__ import annotations

from celery import shared_task

from channels_app.email.imap import mailbox_poll


@shared_task(ignore_result=True)
def poll_mailbox() -> None:
    mailbox_poll()
