"""Celery tasks of the Meta adapter. Each takes ids, is safe to run twice and owns its
retry policy."""

from __future__ import annotations

import requests
from celery import shared_task

from channels_app.meta.media import meta_media_fetch
from channels_app.twilio.media import MediaFetchError, TransientMediaError, media_fetch_failed
from tickets.models import Attachment

MAX_MEDIA_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_MEDIA_RETRIES, acks_late=True)
def fetch_meta_media(self, attachment_ids: list[int]) -> None:
    final = self.request.retries >= self.max_retries
    retry_ids: list[int] = []
    last_error: TransientMediaError | None = None
    with requests.Session() as session:
        for attachment in Attachment.objects.filter(pk__in=attachment_ids, file="").exclude(source_url=""):
            try:
                meta_media_fetch(attachment=attachment, session=session)
            except MediaFetchError as exc:
                media_fetch_failed(attachment_id=attachment.pk, reason=str(exc))
            except TransientMediaError as exc:
                if final:
                    media_fetch_failed(attachment_id=attachment.pk, reason=str(exc))
                else:
                    retry_ids.append(attachment.pk)
                    last_error = exc
    if retry_ids:
        raise self.retry(args=[retry_ids], exc=last_error, countdown=30 * 2**self.request.retries)


@shared_task(bind=True, max_retries=6, acks_late=True)
def refresh_meta_profile(self, channel: str, user_id: str) -> None:
    from channels_app.meta.profiles import TransientMetaError, meta_profile_refresh

    try:
        meta_profile_refresh(channel=channel, user_id=user_id)
    except TransientMetaError as exc:
        # 1 min, 2 min, 4 min ... about an hour in all.
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
