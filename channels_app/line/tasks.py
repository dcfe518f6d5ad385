"""Celery tasks of the LINE adapter. Each takes ids, is safe to run twice and owns its
retry policy."""

from __future__ import annotations

from celery import shared_task

from channels_app.line.contacts import TransientLineError, line_profile_refresh
from channels_app.line.media import line_media_fetch
from channels_app.tasks import media_fetch_each
from tickets.registry import TransientSendError

MAX_MEDIA_RETRIES = 6
MAX_PROFILE_RETRIES = 8
MAX_RESEND_RETRIES = 6


@shared_task(bind=True, max_retries=MAX_MEDIA_RETRIES, acks_late=True)
def fetch_line_media(self, attachment_ids: list[int]) -> None:
    """Downloads the content of these attachments from LINE. Those stored already are
    skipped; those that failed for a passing reason (LINE unreachable, a video still
    being prepared) are retried with backoff (about half an hour in all), the others get
    their fetch_error."""
    media_fetch_each(self, attachment_ids, lambda attachment: line_media_fetch(attachment=attachment))


@shared_task(bind=True, max_retries=MAX_PROFILE_RETRIES, acks_late=True)
def refresh_line_profile(self, user_id: str) -> None:
    try:
        line_profile_refresh(user_id=user_id)
    except TransientLineError as exc:
        # 1 min, 2 min, 4 min ... about four hours in all.
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(bind=True, max_retries=MAX_RESEND_RETRIES, acks_late=True)
def resend_line_push(self, message_id: int) -> None:
    """A push whose answers were all lost is sent again with the same retry key: LINE
    accepts it once, and answers 409 for a copy it already has."""
    # Imported here: outbound imports this module to schedule the task.
    from channels_app.line.outbound import line_lost_push_settle

    try:
        line_lost_push_settle(message_id=message_id)
    except TransientSendError as exc:
        raise self.retry(exc=exc, countdown=120 * 2**self.request.retries) from exc


@shared_task(bind=True, max_retries=3, acks_late=True)
def confirm_line_link(self, user_id: str, reply_token: str, customer_id: int | None) -> None:
    """Tells the LINE user whether their link code worked."""
    from channels_app.line.outbound import line_link_confirmation_send

    try:
        line_link_confirmation_send(user_id=user_id, reply_token=reply_token, customer_id=customer_id)
    except TransientSendError as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
