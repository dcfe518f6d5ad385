"""Sending on Messenger and Instagram Direct through the Graph API's Send API, from
the delivery task (tickets.tasks.deliver_message), which claims each message once.

Within 24 hours of the customer's last message anything may be sent (messaging_type
RESPONSE); until 7 days, only a person's answer, tagged HUMAN_AGENT; after that
nothing, and the agent is told why. The Send API takes no idempotency key: each
send carries the message's idempotency key as `metadata`, which Meta echoes back, so
a send whose answer was lost is settled by its echo instead of being sent again.
https://developers.facebook.com/docs/messenger-platform/reference/send-api/
https://developers.facebook.com/docs/messenger-platform/policy/policy-overview#human_agent
"""

from __future__ import annotations

import functools
from datetime import timedelta

import requests
from django.conf import settings
from django.utils import timezone

from channels_app.health import channel_error_record
from channels_app.twilio.public_media import public_media_url
from tickets.models import ContactIdentity, Direction, Message
from tickets.registry import PermanentSendError, SendError, SendResult, TransientSendError
from tickets.services.delivery import NO_ANSWER

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
TEXT_LIMIT = 2000
MAX_QUICK_REPLIES = 13
_RATE_LIMIT_CODES = {4, 17, 32, 613}
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}


@functools.lru_cache(maxsize=1)
def _session() -> requests.Session:
    return requests.Session()


def _recipient(message: Message) -> str:
    for metadata in (
        Message.objects.filter(ticket_id=message.ticket_id, channel=message.channel, direction=Direction.IN)
        .order_by("-created_at", "-id")
        .values_list("metadata", flat=True)[:1]
    ):
        sender = (metadata.get("meta") or {}).get("sender_id")
        if sender:
            return sender
    identity = (
        ContactIdentity.objects.filter(customer_id=message.customer_id, kind=message.channel)
        .order_by("-created_at")
        .values_list("address", flat=True)
        .first()
    )
    if identity is None:
        raise PermanentSendError(f"the customer has no {message.channel} account", code="meta-no-user")
    return identity


def messaging_window(message: Message) -> dict:
    """messaging_type (and tag) allowed now, from the customer's last message on the channel."""
    last_inbound = (
        Message.objects.filter(customer_id=message.customer_id, channel=message.channel, direction=Direction.IN)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    now = timezone.now()
    if last_inbound is not None and now - last_inbound < STANDARD_WINDOW:
        return {"messaging_type": "RESPONSE"}
    if last_inbound is not None and now - last_inbound < HUMAN_AGENT_WINDOW and not message.is_automatic:
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    since = f"last wrote at {last_inbound:%Y-%m-%d %H:%M %Z}" if last_inbound else "never wrote on this channel"
    reason = "automatic messages only within 24 hours" if message.is_automatic else "agents' answers within 7 days"
    raise PermanentSendError(f"outside Meta's messaging window: the customer {since} ({reason})", code="meta-window")


def _quick_replies(message: Message) -> list[dict]:
    survey = message.metadata.get("survey") or {}
    choices: list[str] = []
    if survey.get("scale_min") is not None and survey.get("scale_max") is not None:
        choices = [str(score) for score in range(int(survey["scale_min"]), int(survey["scale_max"]) + 1)]
    elif isinstance(message.metadata.get("quick_replies"), list):
        choices = [str(choice) for choice in message.metadata["quick_replies"] if str(choice).strip()]
    return [{"content_type": "text", "title": c[:20], "payload": c[:1000]} for c in choices[:MAX_QUICK_REPLIES]]


def meta_payloads(message: Message) -> list[dict]:
    """The Send API's message objects: one per file (image or file), then the text with
    its quick replies. Every one carries the idempotency key for its echo."""
    key = str(message.idempotency_key)
    payloads = []
    for attachment in message.attachments.exclude(file=""):
        kind = "image" if attachment.content_type in _IMAGE_TYPES else "file"
        url = public_media_url(attachment)
        payloads.append({"attachment": {"type": kind, "payload": {"url": url, "is_reusable": False}}, "metadata": key})
    text = message.text.strip()[:TEXT_LIMIT]
    quick_replies = _quick_replies(message)
    if text:
        payload = {"text": text, "metadata": key}
        if quick_replies:
            payload["quick_replies"] = quick_replies
        payloads.append(payload)
    return payloads


def _send_error(status: int, body: dict) -> SendError:
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code, subcode = error.get("code"), error.get("error_subcode")
    text = str(error.get("message") or f"HTTP {status}")[:500]
    if code == 10 and subcode == 2018278 or code == 10 and "window" in text.lower():
        return PermanentSendError(f"outside Meta's messaging window: {text}", code="meta-window")
    if code in _RATE_LIMIT_CODES or status == 429:
        return TransientSendError(f"Meta is limiting how fast we send: {text}", code="meta-rate-limit")
    if code == 551 or subcode == 1545041:
        return PermanentSendError(f"the person cannot receive messages now: {text}", code="meta-unavailable")
    if code == 190 or status == 401:
        return PermanentSendError(f"Meta refused the page access token: {text}", code="meta-auth")
    if status >= 500 or code in (1, 2):
        return TransientSendError(f"Meta is unavailable ({status}): {text}", code="meta-unavailable-api")
    return PermanentSendError(f"Meta refused the message ({code}): {text}", code=f"meta-{code or status}")


def _post(message: Message, body: dict) -> str:
    url = f"{settings.META_GRAPH_BASE_URL.rstrip('/')}/{settings.META_GRAPH_VERSION}/me/messages"
    headers = {"Authorization": f"Bearer {settings.META_PAGE_ACCESS_TOKEN}"}
    try:
        response = _session().post(url, json=body, headers=headers, timeout=settings.META_HTTP_TIMEOUT)
    except (requests.ConnectionError, requests.Timeout) as exc:
        channel_error_record(channel=message.channel, error=f"send: Graph API unreachable ({exc.__class__.__name__})")
        if isinstance(exc, requests.ConnectTimeout) or "NewConnectionError" in repr(exc):
            raise TransientSendError(
                f"Meta could not be reached: {exc.__class__.__name__}", code="meta-network"
            ) from exc
        # Meta may have sent it: its echo (carrying our key) will say so. Sending again might repeat it.
        raise PermanentSendError(
            f"Meta's answer was lost ({exc.__class__.__name__}): the message may have been sent", code=NO_ANSWER
        ) from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200:
        error = _send_error(response.status_code, answer if isinstance(answer, dict) else {})
        channel_error_record(channel=message.channel, error=str(error))
        raise error
    return str(answer.get("message_id") or "")


def meta_send(message: Message) -> SendResult:
    """Messenger and Instagram alike; the page's token serves both."""
    recipient = _recipient(message)
    window = messaging_window(message)
    payloads = meta_payloads(message)
    if not payloads:
        raise PermanentSendError("nothing to send", code="meta-empty")
    # A retry after a partial send goes on from the first part not yet sent.
    done = int(message.metadata.get("meta_parts_sent") or 0)
    mid = ""
    for index, payload in enumerate(payloads[done:], start=done):
        mid = _post(message, {"recipient": {"id": recipient}, "message": payload, **window})
        message.metadata = {**message.metadata, "meta_parts_sent": index + 1}
        Message.objects.filter(pk=message.pk).update(metadata=message.metadata)
    return SendResult(external_id=mid or f"meta:{message.idempotency_key}", status=Message.DeliveryStatus.SENT)
