"""Celery tasks of the Twilio adapter. Each takes ids, is safe to run twice and owns
its retry policy. channels_app.twilio.outbound imports this module, so the worker
knows these tasks as soon as the senders are registered."""

from __future__ import annotations

from celery import shared_task

from tickets.registry import TransientSendError

MAX_LOOKUP_RETRIES = 4


@shared_task(bind=True, max_retries=MAX_LOOKUP_RETRIES, acks_late=True)
def lookup_lost_answer(self, message_id: int) -> None:
    # Imported here: outbound imports this module to schedule the task.
    from channels_app.twilio.outbound import lost_answer_lookup

    try:
        lost_answer_lookup(message_id=message_id)
    except TransientSendError as exc:
        # 5 min, 10 min, 20 min, 40 min.
        raise self.retry(exc=exc, countdown=300 * 2**self.request.retries) from exc
