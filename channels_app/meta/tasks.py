"""Celery tasks of the Meta adapter. Each takes ids, is safe to run twice and owns its
retry policy."""

from __future__ import annotations

import requests
from celery import shared_task

from channels_app.meta.media import meta_media_fetch
from channels_app.tasks import media_fetch_each

MAX_MEDIA_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_MEDIA_RETRIES, acks_late=True)
def fetch_meta_media(self, attachment_ids: list[int]) -> None:
    with requests.Session() as session:
        media_fetch_each(
            self, attachment_ids, lambda attachment: meta_media_fetch(attachment=attachment, session=session)
        )


@shared_task(bind=True, max_retries=6, acks_late=True)
def refresh_meta_profile(self, channel: str, user_id: str) -> None:
    from channels_app.meta.profiles import TransientMetaError, meta_profile_refresh

    try:
        meta_profile_refresh(channel=channel, user_id=user_id)
    except TransientMetaError as exc:
        # 1 min, 2 min, 4 min ... about an hour in all.
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
