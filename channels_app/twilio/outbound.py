"""Sending SMS and WhatsApp messages through Twilio's REST API, from the delivery
task (tickets.tasks.deliver_message), which claims each message once.

Errors map to the registry's: a rate limit, a 5xx or a network failure is worth a
retry; a 4xx (invalid number 21211, unsubscribed 21610, outside the WhatsApp window
63016) is not, and its code is shown to the agent.
https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
https://www.twilio.com/docs/api/errors

Twilio's Messages API takes no idempotency key. When a send's answer is lost after
the request went out (a read timeout, a connection reset), Twilio may have accepted
the message: the attempt is recorded on the message, and the next attempt first
looks for it among the newest messages to that recipient before sending again.
When the last attempt's answer is lost too, the message ends failed ("may have been
sent"), and one later lookup (lost_answer_lookup, from a task) settles it if Twilio
has it.

With no Twilio account configured (the embedded defaults), _create delivers to the
dev outbox instead (channels_app.outbox), after the same checks as a real send.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from datetime import datetime, timedelta

import requests
import urllib3
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageInstance

from channels_app.outbox.sending import twilio_outbox_send
from channels_app.outbox.store import twilio_configured
from channels_app.twilio.keywords import Keyword, sms_opted_out, sms_optout_record
from channels_app.twilio.public_media import public_media_url
from channels_app.twilio.status import TWILIO_STATUSES, twilio_error_text
from channels_app.twilio.tasks import lookup_lost_answer
from channels_app.twilio.window import whatsapp_window_closes_at, whatsapp_window_open
from tickets.models import Channel, ContactIdentity, Direction, IdentityClaim, Message
from tickets.registry import PermanentSendError, SendError, SendResult, TransientSendError
from tickets.services.delivery import (
    NO_ANSWER,
    delivery_record,
    register_interrupted_send_preparer,
    register_lost_answer_check,
)
from tickets.services.identities import InvalidAddress, normalize_address

logger = logging.getLogger(__name__)

# What the agent reads next to Twilio's code.
_ERROR_HINTS = {
    21211: "the phone number is not valid",
    21408: "sending to this country is not enabled on the Twilio account",
    21610: "the customer unsubscribed (replied STOP)",
    21614: "the number cannot receive SMS",
    21617: "the message is too long",
    63016: "outside WhatsApp's 24-hour window: send an approved template",
}
# Twilio allows ten media per message.
MAX_MEDIA = 10
# metadata key of the first attempt whose answer was lost: {"at": ISO time, "to": ..., "from": ...}
UNCONFIRMED_ATTEMPT = "twilio_unconfirmed_attempt"
# How many of the newest messages to the recipient are searched for that attempt's.
_LOOKUP_LIMIT = 20
# Twilio dates a message to the second, by its own clock.
_CLOCK_SKEW = timedelta(seconds=60)
# A send that ended failed without Twilio's answer is looked up once more, this long
# after: time for Twilio, which was in trouble, to list what it accepted.
LOST_ANSWER_LOOKUP_AFTER_S = 15 * 60
_TWILIO_HOST = re.compile(r"^https://[a-z0-9.-]*\.twilio\.com")


class _BaseUrlHttpClient(TwilioHttpClient):
    """Sends the SDK's requests to TWILIO_API_BASE_URL (a local fake in development
    and tests) instead of https://*.twilio.com."""

    def __init__(self, *, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args, **kwargs):
        if self.base_url:
            url = _TWILIO_HOST.sub(self.base_url, url)
        return super().request(method, url, *args, **kwargs)


@functools.lru_cache(maxsize=4)
def _client(account_sid: str, auth_token: str, base_url: str, timeout: float) -> Client:
    return Client(account_sid, auth_token, http_client=_BaseUrlHttpClient(base_url=base_url, timeout=timeout))


def twilio_client() -> Client:
    return _client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_API_BASE_URL,
        float(settings.TWILIO_HTTP_TIMEOUT),
    )


def status_callback_url(message: Message) -> str:
    """Carries the message's idempotency key, so that a callback finds its message
    even before the send's answer was recorded, and a send is recognisable by it."""
    path = reverse("twilio:status")
    return f"{settings.HELPDESK_PUBLIC_URL}{path}?key={message.idempotency_key}"


def recipient_address(*, customer_id: int, channel: str) -> str:
    """The customer's number in E.164 (or WhatsApp user id): the one they last wrote
    from on this channel, else their newest phone identity."""
    last_metadata = (
        Message.objects.filter(customer_id=customer_id, channel=channel, direction=Direction.IN)
        .order_by("-created_at", "-id")
        .values_list("metadata", flat=True)
        .first()
    )
    kinds = [ContactIdentity.Kind.PHONE]
    if channel == Channel.WHATSAPP:
        kinds.append(ContactIdentity.Kind.WHATSAPP)
    if last_metadata and last_metadata.get("from"):
        try:
            normalized = normalize_address(last_metadata["from"])
        except InvalidAddress:
            normalized = None
        if normalized is not None and normalized.kind in kinds:
            return normalized.address
    identity = (
        ContactIdentity.objects.filter(customer_id=customer_id, kind__in=kinds)
        .order_by("kind", "-created_at")  # "phone" before "whatsapp": a number when there is one
        .values_list("address", flat=True)
        .first()
    )
    if identity is None:
        # A chat visitor's claimed number (the offline form's "answer me by SMS").
        identity = (
            IdentityClaim.objects.filter(customer_id=customer_id, kind=ContactIdentity.Kind.PHONE)
            .order_by("-created_at")
            .values_list("address", flat=True)
            .first()
        )
    if identity is None:
        raise PermanentSendError(f"the customer has no phone number for {channel}", code="no-address")
    return identity


def _whatsapp(address: str) -> str:
    return address if address.startswith("whatsapp:") else f"whatsapp:{address}"


def _media_urls(message: Message) -> list[str]:
    return [public_media_url(attachment) for attachment in message.attachments.exclude(file="")[:MAX_MEDIA]]


def _send_error(exc: TwilioRestException) -> SendError:
    code = str(exc.code or exc.status)
    # The SDK prefixes Twilio's message with what it was doing.
    message = re.sub(r"^Unable to \w+ record: ", "", exc.msg or "")
    if exc.status == 429 or exc.status >= 500:
        return TransientSendError(f"Twilio is unavailable ({exc.status}): {message}", code=code)
    hint = _ERROR_HINTS.get(exc.code or 0)
    detail = f"{hint} ({message})" if hint and message else hint or message or f"HTTP {exc.status}"
    return PermanentSendError(f"Twilio refused the message: {detail}", code=code)


def _may_have_reached_twilio(exc: requests.RequestException) -> bool:
    """Whether Twilio may have acted on a request that failed: yes after a read timeout
    or a connection lost before the answer; no when no connection was ever made
    (refused, unknown host, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    cause = exc.args[0] if exc.args else None
    if isinstance(getattr(cause, "reason", cause), urllib3.exceptions.NewConnectionError):
        return False
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError))


def _unconfirmed_attempt_record(message: Message, *, at: datetime, to: str, from_: str) -> None:
    """Only the first such attempt is kept: the search for what Twilio accepted starts there."""
    if UNCONFIRMED_ATTEMPT in message.metadata:
        return
    message.metadata = {**message.metadata, UNCONFIRMED_ATTEMPT: {"at": at.isoformat(), "to": to, "from": from_}}
    Message.objects.filter(pk=message.pk).update(metadata=message.metadata)


def _same_text(first: str, second: str) -> bool:
    return " ".join((first or "").split()) == " ".join((second or "").split())


def _body_sent(message: Message) -> str | None:
    """The body Twilio was given; None for a WhatsApp template, whose text Twilio renders."""
    return None if message.metadata.get("content_sid") else message.text


def _lost_attempt_found(message: Message) -> MessageInstance | None:
    """After an attempt whose answer was lost, what Twilio made of it: the oldest
    message to the same recipient from the same number, created since that attempt,
    with the same body, and not known as another message of ours. None when there is
    no such attempt or message."""
    attempt = message.metadata.get(UNCONFIRMED_ATTEMPT)
    if not attempt:
        return None
    since = datetime.fromisoformat(attempt["at"]) - _CLOCK_SKEW
    body = _body_sent(message)
    try:
        newest = twilio_client().messages.list(to=attempt["to"], from_=attempt["from"], limit=_LOOKUP_LIMIT)
    except TwilioRestException as exc:
        raise _send_error(exc) from exc
    except requests.RequestException as exc:
        raise TransientSendError(
            f"Twilio could not be reached to look for an earlier attempt: {exc.__class__.__name__}", code="network"
        ) from exc
    candidates = [
        found
        for found in newest
        if found.date_created and found.date_created >= since and (body is None or _same_text(found.body, body))
    ]
    known = set(
        Message.objects.filter(channel=message.channel, external_id__in=[found.sid for found in candidates])
        .exclude(pk=message.pk)
        .values_list("external_id", flat=True)
    )
    return next((found for found in reversed(candidates) if found.sid not in known), None)


def _status_of(found: MessageInstance) -> str:
    # Accepted and not further along is what a create's answer records.
    status = TWILIO_STATUSES.get(str(found.status or ""), Message.DeliveryStatus.SENDING)
    return Message.DeliveryStatus.SENT if status == Message.DeliveryStatus.SENDING else status


def _accepted_earlier(message: Message) -> SendResult | None:
    found = _lost_attempt_found(message)
    return None if found is None else SendResult(external_id=found.sid, status=_status_of(found))


def lost_answer_lookup(*, message_id: int) -> Message | None:
    """Looks once more for a send that ended failed because Twilio's answers were lost
    (NO_ANSWER). When Twilio has it, its SID and status are recorded, and its status
    callbacks carry on from there; when not, the failure stands. Changes nothing for
    a message that is no longer such a failure, so it is safe to run twice. Raises
    TransientSendError while Twilio cannot be reached."""
    message = Message.objects.filter(
        pk=message_id,
        channel__in=[Channel.SMS, Channel.WHATSAPP],
        delivery_status=Message.DeliveryStatus.FAILED,
        delivery_error_code=NO_ANSWER,
    ).first()
    if message is None:
        return None
    found = _lost_attempt_found(message)
    if found is None:
        logger.info("Twilio has no message %s: it was not sent", message_id)
        return None
    return delivery_record(
        message=message,
        status=_status_of(found),
        external_id=found.sid,
        error=twilio_error_text(error_code=str(found.error_code or ""), error_message=found.error_message or ""),
        error_code=str(found.error_code or ""),
    )


def sms_text_send(*, phone: str, body: str) -> None:
    """A text that is no ticket message (the portal's sign-in code), through the same
    client as the replies, so TWILIO_API_BASE_URL holds. With DEBUG on (the demo), the
    text is written to the log instead, so the portal can be tried without Twilio."""
    if settings.DEBUG:
        logger.warning("SMS to %s (DEBUG, not sent): %s", phone, body)
        return
    twilio_client().messages.create(to=phone, from_=settings.TWILIO_SMS_FROM, body=body)


def lost_answer_lookup_schedule(message_id: int) -> None:
    lookup_lost_answer.apply_async((message_id,), countdown=LOST_ANSWER_LOOKUP_AFTER_S)


def _create(message: Message, **params) -> SendResult:
    params = {key: value for key, value in params.items() if value}
    if not twilio_configured():
        return twilio_outbox_send(message, to=params["to"], from_=params["from_"], media_url=params.get("media_url"))
    attempted_at = timezone.now()
    try:
        sent = twilio_client().messages.create(status_callback=status_callback_url(message), **params)
    except TwilioRestException as exc:
        raise _send_error(exc) from exc
    except requests.RequestException as exc:
        if not _may_have_reached_twilio(exc):
            raise TransientSendError(f"Twilio could not be reached: {exc.__class__.__name__}", code="network") from exc
        _unconfirmed_attempt_record(message, at=attempted_at, to=params["to"], from_=params["from_"])
        raise TransientSendError(
            f"Twilio's answer was lost ({exc.__class__.__name__}): the message may have been sent",
            code=NO_ANSWER,
        ) from exc
    return SendResult(external_id=sent.sid, status=Message.DeliveryStatus.SENT)


def sms_send(message: Message) -> SendResult:
    earlier = _accepted_earlier(message)
    if earlier is not None:
        return earlier
    to = recipient_address(customer_id=message.customer_id, channel=Channel.SMS)
    if sms_opted_out(phone=to):
        raise PermanentSendError("customer opted out (STOP)", code="opted-out")
    try:
        return _create(
            message, to=to, from_=settings.TWILIO_SMS_FROM, body=message.text, media_url=_media_urls(message)
        )
    except PermanentSendError as exc:
        if exc.code == "21610":
            # Twilio knows of a STOP that we never saw (sent to another of our numbers).
            sms_optout_record(phone=to, keyword=Keyword.STOP, written="Twilio 21610")
        raise


def whatsapp_send(message: Message) -> SendResult:
    """Free-form text inside the 24-hour window; outside it only a template, named in
    the message's metadata: {"content_sid": "HX...", "content_variables": {"1": "..."}}."""
    content_sid = str(message.metadata.get("content_sid") or "")
    earlier = _accepted_earlier(message)
    if earlier is not None:
        return earlier
    to = _whatsapp(recipient_address(customer_id=message.customer_id, channel=Channel.WHATSAPP))
    if content_sid:
        variables = message.metadata.get("content_variables") or {}
        return _create(
            message,
            to=to,
            from_=_whatsapp(settings.TWILIO_WHATSAPP_FROM),
            content_sid=content_sid,
            content_variables=json.dumps(variables, ensure_ascii=False) if variables else "",
        )
    if not whatsapp_window_open(message.customer_id):
        closed_at = whatsapp_window_closes_at(message.customer_id)
        since = f"it closed at {closed_at:%Y-%m-%d %H:%M %Z}" if closed_at else "the customer never wrote on WhatsApp"
        raise PermanentSendError(
            f"outside WhatsApp's 24-hour customer-service window ({since}): only an approved template can be sent",
            code="63016",
        )
    return _create(
        message,
        to=to,
        from_=_whatsapp(settings.TWILIO_WHATSAPP_FROM),
        body=message.text,
        media_url=_media_urls(message),
    )


def interrupted_send_prepare(message: Message, claimed_at: datetime) -> None:
    """A worker died while it sent the message (tickets.services.delivery's lease
    sweep): the request may have reached Twilio. Recorded as an attempt without an
    answer, so that the retry first looks for it among what Twilio accepted since
    the claim, and sends only if Twilio has nothing."""
    try:
        to = recipient_address(customer_id=message.customer_id, channel=message.channel)
    except PermanentSendError:
        return  # nothing could have been sent; the retry fails with the reason
    if message.channel == Channel.WHATSAPP:
        to, from_ = _whatsapp(to), _whatsapp(settings.TWILIO_WHATSAPP_FROM)
    else:
        from_ = settings.TWILIO_SMS_FROM
    _unconfirmed_attempt_record(message, at=claimed_at, to=to, from_=from_)


register_lost_answer_check(Channel.SMS, lost_answer_lookup_schedule)
register_lost_answer_check(Channel.WHATSAPP, lost_answer_lookup_schedule)
register_interrupted_send_preparer(Channel.SMS, interrupted_send_prepare)
register_interrupted_send_preparer(Channel.WHATSAPP, interrupted_send_prepare)
