"""Delivering outbound messages through the channel's sender, exactly once, and
recording what the provider says about them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tickets import events, registry
from tickets.models import Message

logger = logging.getLogger(__name__)
Status = Message.DeliveryStatus

# A later status never moves a message back: a 'delivered' callback that beat the
# API's answer stays delivered.
_RANK = {
    Status.NONE: 0, Status.AWAITING_APPROVAL: 0, Status.QUEUED: 1, Status.SENDING: 2, Status.SENT: 3,
    Status.DELIVERED: 4, Status.READ: 5, Status.UNDELIVERED: 6, Status.FAILED: 6,
}  # fmt: skip
# The error code of a send whose answer was lost (a read timeout, a dropped
# connection): the provider may well have sent it. Its own later word that the
# message went out corrects such a failure, and only such a failure.
NO_ANSWER = "no-answer"
_CORRECTS_NO_ANSWER = {Status.SENT, Status.DELIVERED, Status.READ}
# channel -> what schedules a later look at a send that ended failed with NO_ANSWER.
_lost_answer_checks: dict[str, Callable[[int], None]] = {}
# The error code of a send that a crash interrupted, on a channel where nobody can
# tell whether it went out: the agent decides, rather than the customer getting it twice.
INTERRUPTED = "interrupted"
# channel -> what prepares an interrupted send to be tried again safely (for Twilio:
# the retry first looks for the message among what Twilio accepted). Channels without
# one are marked failed with INTERRUPTED.
_interrupted_send_preparers: dict[str, Callable[[Message, datetime], None]] = {}


def register_lost_answer_check(channel: str, check: Callable[[int], None]) -> None:
    _lost_answer_checks[channel] = check


def register_interrupted_send_preparer(channel: str, prepare: Callable[[Message, datetime], None]) -> None:
    """`prepare(message, claimed_at)` records what the retry needs to find an earlier
    attempt; after it, the message goes back to the queue."""
    _interrupted_send_preparers[channel] = prepare


def send_lease() -> timedelta:
    """How long a claim on a send lasts: longer than any send takes (the providers'
    HTTP and SMTP timeouts), so that an expired lease means the worker is gone."""
    return timedelta(seconds=getattr(settings, "HELPDESK_SEND_LEASE_S", 300))


def delivery_claim(*, message_id: int) -> Message | None:
    """Marks a queued message as being sent, under a lease. Only one worker wins the
    claim, so a redelivered task never sends twice; a claim whose worker died is
    found by its expired lease (delivery_sweep_interrupted)."""
    claimed = Message.objects.filter(pk=message_id, delivery_status=Message.DeliveryStatus.QUEUED).update(
        delivery_status=Message.DeliveryStatus.SENDING,
        delivery_attempts=F("delivery_attempts") + 1,
        delivery_lease_until=timezone.now() + send_lease(),
    )
    if not claimed:
        return None
    return Message.objects.select_related("ticket", "customer", "author").get(pk=message_id)


def delivery_record(
    *, message: Message, status: str, external_id: str | None = None, error: str = "", error_code: str = ""
) -> Message:
    """Records a delivery status. Statuses only move forward, except that a message
    being sent is handed back to the queue for a retry, and that a failure for want
    of an answer (NO_ANSWER) gives way to the provider's word that the message went
    out. A status that cannot move the message records only the external id. The
    current status is read under a row lock: a provider's callback may have moved it
    on meanwhile."""
    with transaction.atomic():
        current, current_error, current_code = (
            Message.objects.select_for_update()
            .values_list("delivery_status", "delivery_error", "delivery_error_code")
            .get(pk=message.pk)
        )
        handed_back = status == Status.QUEUED and current == Status.SENDING
        corrected = current == Status.FAILED and current_code == NO_ANSWER and status in _CORRECTS_NO_ANSWER
        if not (handed_back or corrected) and _RANK.get(status, 0) < _RANK.get(current, 0):
            status, error, error_code = current, current_error, current_code
        return _delivery_save(message, status=status, external_id=external_id, error=error, error_code=error_code)


def _delivery_save(message: Message, *, status: str, external_id: str | None, error: str, error_code: str) -> Message:
    message.delivery_status = status
    message.delivery_error = error[:2000]
    message.delivery_error_code = error_code[:40]
    # Whatever was recorded, the claim's holder is done with it.
    message.delivery_lease_until = None
    fields = ["delivery_status", "delivery_error", "delivery_error_code", "delivery_lease_until"]
    if external_id:
        message.external_id = external_id[:255]
        fields.append("external_id")
    if status == Message.DeliveryStatus.DELIVERED and message.delivered_at is None:
        message.delivered_at = timezone.now()
        fields.append("delivered_at")
    if status == Message.DeliveryStatus.READ and message.read_at is None:
        message.read_at = timezone.now()
        fields.append("read_at")
    message.save(update_fields=fields)
    events.publish_delivery_status(message)
    return message


def message_deliver(*, message_id: int, final_attempt: bool = False) -> Message | None:
    """Sends one queued message. A transient failure puts it back in the queue and
    raises, for the task to retry; on the final attempt, or on a permanent failure,
    the message is marked failed with the reason. A final failure for want of an
    answer is looked at again later, by the channel's lost-answer check."""
    message = delivery_claim(message_id=message_id)
    if message is None:
        return None
    try:
        result = registry.get_sender(message.channel)(message)
    except registry.PermanentSendError as exc:
        return delivery_record(message=message, status=Status.FAILED, error=str(exc), error_code=exc.code)
    except Exception as exc:
        code = str(getattr(exc, "code", "") or "")
        if final_attempt:
            failed = delivery_record(message=message, status=Status.FAILED, error=str(exc), error_code=code)
            check = _lost_answer_checks.get(message.channel)
            if code == NO_ANSWER and check is not None:
                transaction.on_commit(lambda: check(message_id))
            return failed
        logger.warning("send of message %s failed, will retry: %s", message_id, exc)
        delivery_record(message=message, status=Status.QUEUED, error=str(exc), error_code=code)
        raise
    return delivery_record(message=message, status=result.status, external_id=result.external_id)


def delivery_sweep_interrupted(*, limit: int = 200) -> int:
    """Settles the sends whose worker died mid-send (still 'sending', lease expired),
    never by a blind resend: a channel that can look up what the provider accepted
    prepares the retry to look first, and goes back to the queue; on any other
    channel the message is marked failed (INTERRUPTED) for the agent to check. Safe
    to run twice and in parallel: each message is taken under a row lock."""
    from tickets.tasks import deliver_message

    now = timezone.now()
    expired = list(
        Message.objects.filter(delivery_status=Status.SENDING, delivery_lease_until__lt=now)
        .order_by("delivery_lease_until")
        .values_list("pk", flat=True)[:limit]
    )
    settled = 0
    for message_id in expired:
        with transaction.atomic():
            message = (
                Message.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, delivery_status=Status.SENDING, delivery_lease_until__lt=now)
                .first()
            )
            if message is None:
                continue
            prepare = _interrupted_send_preparers.get(message.channel)
            if prepare is None:
                logger.warning("send of message %s was interrupted; marked failed for the agent", message_id)
                delivery_record(
                    message=message,
                    status=Status.FAILED,
                    error="The send was interrupted and nobody can tell whether it went out: check before sending again.",
                    error_code=INTERRUPTED,
                )
            else:
                logger.warning("send of message %s was interrupted; it is looked up before any retry", message_id)
                prepare(message, message.delivery_lease_until - send_lease())
                delivery_record(message=message, status=Status.QUEUED)
                transaction.on_commit(lambda message_id=message_id: deliver_message.delay(message_id))
            settled += 1
    return settled
