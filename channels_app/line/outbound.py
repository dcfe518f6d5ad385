"""Sending on LINE through the official SDK, from the delivery task
(tickets.tasks.deliver_message), which claims each message once.

A reply token, while fresh, sends for free; it is used at most once, on the first
attempt. Otherwise the message is pushed, with the message's idempotency key as
LINE's X-Line-Retry-Key: a push repeated after a lost answer is accepted once and
answered 409 the second time, so a retry never sends twice.
https://developers.line.biz/en/reference/messaging-api/#send-reply-message
https://developers.line.biz/en/docs/messaging-api/retrying-api-request/
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from linebot.v3.messaging import (
    ImageMessage,
    MessageAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException

from channels_app.health import channel_error_record
from channels_app.line.client import (
    TRANSPORT_ERRORS,
    api_error_message,
    line_api,
    may_have_reached_line,
    response_header,
)
from channels_app.line.contacts import line_opted_out
from channels_app.line.tasks import resend_line_push
from channels_app.twilio.public_media import public_media_url
from tickets.models import Channel, ContactIdentity, Customer, Direction, Message
from tickets.registry import PermanentSendError, SendError, SendResult, TransientSendError
from tickets.services.delivery import NO_ANSWER, delivery_record, register_lost_answer_check

logger = logging.getLogger(__name__)

# LINE takes at most five message objects per request, and 13 quick-reply buttons.
MAX_MESSAGES = 5
MAX_QUICK_REPLIES = 13
TEXT_LIMIT = 5000
LOST_PUSH_RESEND_AFTER_S = 10 * 60
_IMAGE_TYPES = {"image/jpeg", "image/png"}


def _recipient(message: Message) -> str:
    """The LINE user who last wrote in this ticket, else the customer's LINE identity."""
    for metadata in (
        Message.objects.filter(ticket_id=message.ticket_id, channel=Channel.LINE, direction=Direction.IN)
        .order_by("-created_at", "-id")
        .values_list("metadata", flat=True)[:1]
    ):
        user_id = (metadata.get("line") or {}).get("user_id")
        if user_id:
            return user_id
    identity = (
        ContactIdentity.objects.filter(customer_id=message.customer_id, kind=ContactIdentity.Kind.LINE)
        .order_by("-verified", "-created_at")
        .values_list("address", flat=True)
        .first()
    )
    if identity is None:
        raise PermanentSendError("the customer has no LINE account", code="line-no-user")
    return identity


def _quick_reply(message: Message) -> QuickReply | None:
    """Buttons for a survey's scale, or for the canned choices an agent offered."""
    survey = message.metadata.get("survey") or {}
    choices: list[str] = []
    if survey.get("scale_min") is not None and survey.get("scale_max") is not None:
        choices = [str(score) for score in range(int(survey["scale_min"]), int(survey["scale_max"]) + 1)]
    elif isinstance(message.metadata.get("quick_replies"), list):
        choices = [str(choice) for choice in message.metadata["quick_replies"] if str(choice).strip()]
    if not choices:
        return None
    items = [QuickReplyItem(action=MessageAction(label=choice[:20], text=choice[:300])) for choice in choices][
        :MAX_QUICK_REPLIES
    ]
    return QuickReply(items=items)


def line_messages(message: Message) -> list:
    """The message as LINE message objects: JPEG and PNG images as images, other files
    as a link each (LINE bots cannot send files), the text last, with the quick replies."""
    objects: list = []
    links: list[str] = []
    for attachment in message.attachments.exclude(file=""):
        url = public_media_url(attachment)
        if attachment.content_type in _IMAGE_TYPES and len(objects) < MAX_MESSAGES - 1:
            objects.append(ImageMessage(original_content_url=url, preview_image_url=url))
        else:
            links.append(f"{attachment.filename}: {url}")
    text = "\n".join(part for part in [message.text.strip(), *links] if part)[:TEXT_LIMIT]
    quick_reply = _quick_reply(message)
    if text or quick_reply is not None:
        objects.append(TextMessage(text=text or "…", quick_reply=quick_reply))
    elif objects and quick_reply is not None:
        objects[-1].quick_reply = quick_reply
    return objects[:MAX_MESSAGES]


def _reply_token_claim(message: Message) -> str:
    """The fresh reply token of the customer's newest message in this ticket, marked
    used under a row lock so that no two sends use it. Empty when there is none."""
    now = timezone.now()
    with transaction.atomic():
        inbound = (
            Message.objects.select_for_update()
            .filter(
                ticket_id=message.ticket_id,
                channel=Channel.LINE,
                direction=Direction.IN,
                created_at__gte=now - timedelta(seconds=settings.LINE_REPLY_TOKEN_TTL_S),
            )
            .order_by("-created_at", "-id")
            .first()
        )
        line = (inbound.metadata.get("line") or {}) if inbound is not None else {}
        token, issued = line.get("reply_token"), line.get("reply_token_at")
        if not token or line.get("reply_token_used") or not issued:
            return ""
        if now - datetime.fromisoformat(issued) > timedelta(seconds=settings.LINE_REPLY_TOKEN_TTL_S):
            return ""
        inbound.metadata = {**inbound.metadata, "line": {**line, "reply_token_used": message.pk}}
        inbound.save(update_fields=["metadata"])
    return token


def _sent_id(sent_messages, fallback: str) -> str:
    ids = [
        str(getattr(sent, "id", "") or (sent.get("id") if isinstance(sent, dict) else ""))
        for sent in sent_messages or []
    ]
    return next((found for found in ids if found), fallback)


def _send_error(exc: ApiException) -> SendError:
    detail = api_error_message(exc)
    status = exc.status or 0
    if status == 429 and "monthly limit" in detail.lower():
        return PermanentSendError(f"LINE's monthly message quota is used up: {detail}", code="line-quota")
    if status == 429:
        return TransientSendError(f"LINE is limiting how fast we send: {detail}", code="line-rate-limit")
    if status >= 500:
        return TransientSendError(f"LINE is unavailable ({status}): {detail}", code="line-unavailable")
    if status == 401:
        return PermanentSendError(f"LINE refused the channel access token: {detail}", code="line-auth")
    return PermanentSendError(f"LINE refused the message ({status}): {detail}", code=f"line-{status}")


def _reply(token: str, objects: list) -> SendResult | None:
    """A free reply; None when LINE no longer takes the token, for the caller to push."""
    try:
        answer = line_api().reply_message(
            ReplyMessageRequest(reply_token=token, messages=objects), _request_timeout=settings.LINE_HTTP_TIMEOUT
        )
    except ApiException as exc:
        if exc.status == 400 and "reply token" in api_error_message(exc).lower():
            return None
        raise _send_error(exc) from exc
    except TRANSPORT_ERRORS as exc:
        if not may_have_reached_line(exc):
            return None
        # A reply token takes no retry key: pushing now might send the message twice.
        raise PermanentSendError(
            f"LINE's answer to the reply was lost ({exc.__class__.__name__}): the message may have been sent",
            code="line-reply-lost",
        ) from exc
    return SendResult(external_id=_sent_id(answer.sent_messages, token[:200]), status=Message.DeliveryStatus.SENT)


def _push(*, to: str, objects: list, retry_key: str) -> SendResult:
    try:
        answer = line_api().push_message(
            PushMessageRequest(to=to, messages=objects),
            x_line_retry_key=retry_key,
            _request_timeout=settings.LINE_HTTP_TIMEOUT,
        )
    except ApiException as exc:
        if exc.status == 409:
            # Accepted by an earlier attempt with this retry key.
            try:
                sent = json.loads(exc.body or "{}").get("sentMessages")
            except (ValueError, AttributeError):
                sent = None
            accepted = response_header(exc, "x-line-accepted-request-id") or retry_key
            return SendResult(external_id=_sent_id(sent, f"request:{accepted}"), status=Message.DeliveryStatus.SENT)
        error = _send_error(exc)
        channel_error_record(channel=Channel.LINE, error=str(error))
        raise error from exc
    except TRANSPORT_ERRORS as exc:
        channel_error_record(channel=Channel.LINE, error=f"push: LINE unreachable ({exc.__class__.__name__})")
        if may_have_reached_line(exc):
            raise TransientSendError(
                f"LINE's answer was lost ({exc.__class__.__name__}): the message may have been sent", code=NO_ANSWER
            ) from exc
        raise TransientSendError(f"LINE could not be reached: {exc.__class__.__name__}", code="line-network") from exc
    return SendResult(
        external_id=_sent_id(answer.sent_messages, f"request:{retry_key}"), status=Message.DeliveryStatus.SENT
    )


def line_send(message: Message) -> SendResult:
    to = _recipient(message)
    if line_opted_out(to):
        raise PermanentSendError("the customer blocked the LINE account (unfollowed)", code="line-unfollowed")
    objects = line_messages(message)
    if not objects:
        raise PermanentSendError("nothing to send on LINE", code="line-empty")
    token = _reply_token_claim(message) if message.delivery_attempts <= 1 else ""
    if token:
        replied = _reply(token, objects)
        if replied is not None:
            return replied
    return _push(to=to, objects=objects, retry_key=str(message.idempotency_key))


def line_lost_push_settle(*, message_id: int) -> Message | None:
    """Sends once more, with the same retry key, a push that ended failed because every
    answer was lost: LINE answers 409 if it has it, or takes it now. Changes nothing for
    a message that is no longer such a failure. Raises TransientSendError while LINE
    cannot be reached."""
    message = Message.objects.filter(
        pk=message_id,
        channel=Channel.LINE,
        delivery_status=Message.DeliveryStatus.FAILED,
        delivery_error_code=NO_ANSWER,
    ).first()
    if message is None:
        return None
    try:
        result = _push(to=_recipient(message), objects=line_messages(message), retry_key=str(message.idempotency_key))
    except PermanentSendError as exc:
        return delivery_record(
            message=message, status=Message.DeliveryStatus.FAILED, error=str(exc), error_code=exc.code
        )
    return delivery_record(message=message, status=result.status, external_id=result.external_id)


def line_link_confirmation_send(*, user_id: str, reply_token: str, customer_id: int | None) -> None:
    """Tells a LINE user whether their link code worked: with the reply token when
    there is one, else pushed with a retry key of its own, so a retry never repeats it."""
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    with override((customer.language if customer else "") or None):
        text = (
            _("Your LINE account is now linked to your support account.")
            if customer is not None
            else _("That code is not valid or has expired. Ask for a new code on the help portal.")
        )
    objects = [TextMessage(text=text)]
    if reply_token:
        try:
            if _reply(reply_token, objects) is not None:
                return
        except PermanentSendError:
            return
    retry_key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"line-link:{user_id}:{reply_token}:{customer_id}"))
    try:
        _push(to=user_id, objects=objects, retry_key=retry_key)
    except PermanentSendError as exc:
        logger.warning("LINE link confirmation to %s not sent: %s", user_id, exc)


def _lost_push_schedule(message_id: int) -> None:
    resend_line_push.apply_async((message_id,), countdown=LOST_PUSH_RESEND_AFTER_S)


register_lost_answer_check(Channel.LINE, _lost_push_schedule)
