"""Celery tasks of the channel adapters. Each takes ids, is safe to run twice and
owns its retry policy."""

from __future__ import annotations

from collections.abc import Callable

import requests
from celery import shared_task

from channels_app.twilio.media import MediaFetchError, TransientMediaError, media_fetch, media_fetch_failed
from tickets.models import Attachment

MAX_MEDIA_RETRIES = 5


def media_fetch_each(task, attachment_ids: list[int], fetch: Callable[[Attachment], None]) -> None:
    """Runs `fetch` on each of these attachments not stored yet, for any provider's
    media task. A refusal becomes the attachment's fetch_error; a passing failure is
    retried by `task` with backoff (30 s, 1 min, 2 min ...) until its last try, which
    records the error too."""
    final = task.request.retries >= task.max_retries
    retry_ids: list[int] = []
    last_error: TransientMediaError | None = None
    for attachment in Attachment.objects.filter(pk__in=attachment_ids, file="").exclude(source_url=""):
        try:
            fetch(attachment)
        except MediaFetchError as exc:
            media_fetch_failed(attachment_id=attachment.pk, reason=str(exc))
        except TransientMediaError as exc:
            if final:
                media_fetch_failed(attachment_id=attachment.pk, reason=str(exc))
            else:
                retry_ids.append(attachment.pk)
                last_error = exc
    if retry_ids:
        raise task.retry(args=[retry_ids], exc=last_error, countdown=30 * 2**task.request.retries)


@shared_task(bind=True, max_retries=MAX_MEDIA_RETRIES, acks_late=True)
def fetch_twilio_media(self, attachment_ids: list[int]) -> None:
    """Downloads the Twilio-hosted media of these attachments (about 15 minutes of
    retries in all)."""
    with requests.Session() as session:
        media_fetch_each(self, attachment_ids, lambda attachment: media_fetch(attachment=attachment, session=session))
