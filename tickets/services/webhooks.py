"""Outbound webhooks: what happens in the helpdesk, posted to the URLs administrators
subscribed, signed, retried with backoff, and every attempt logged.

An event becomes one delivery row per subscriber, written in the transaction of the
change itself, with its task in the outbox: the write path never waits for a
receiver, and a delivery is never lost to a crash or a broker outage. Each attempt
is a task of its own, scheduled through the outbox after the previous one failed.

Signatures follow Stripe's scheme: the header `Helpdesk-Signature: t=<unix time>,
v1=<hex HMAC-SHA256 of "<t>.<body>" with the subscription's secret>`; receivers
check it and reject old timestamps (replays). https://docs.stripe.com/webhooks#verify-manually

Targets are checked against SSRF: a URL whose host resolves to a private, loopback,
link-local or otherwise reserved address is refused unless an administrator allowed
that subscription's host explicitly. Redirects are never followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.utils import timezone

from tickets.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tickets.services.outbox import outbox_task

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Helpdesk-Signature"
TIMEOUT_S = 10
# Attempts in all, the first included: 30 s, 1, 2, 4, 8, 16, 32 min, 1 h 4 min between them.
MAX_ATTEMPTS = 8
RETRY_BASE_S = 30
_TASK = "tickets.tasks.deliver_webhook"


class UnsafeTarget(ValueError):
    """The URL points somewhere a webhook may not go."""


# Inside `webhook_subscriptions_read_once`, the active subscriptions as first read.
_held_subscriptions: ContextVar[list[WebhookSubscription] | None] = ContextVar("webhook_subscriptions", default=None)


@contextmanager
def webhook_subscriptions_read_once() -> Iterator[None]:
    """The active subscriptions are read once for everything inside: a batch of inbound
    messages asks for them once, not once per message."""
    token = _held_subscriptions.set(list(WebhookSubscription.objects.filter(active=True)))
    try:
        yield
    finally:
        _held_subscriptions.reset(token)


def _subscribed(event: str) -> list[WebhookSubscription]:
    active = _held_subscriptions.get()
    if active is None:
        active = WebhookSubscription.objects.filter(active=True)
    return [s for s in active if not s.events or event in s.events]


def webhook_event_emit(*, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Queues `event` for every subscriber, in the caller's transaction. Cheap when
    nobody subscribed: one query."""
    subscriptions = _subscribed(event)
    if not subscriptions:
        return []
    now = timezone.now()
    deliveries = []
    first = None
    for subscription in subscriptions:
        delivery = WebhookDelivery(subscription=subscription, event=event, created_at=now, payload={})
        if first is not None:
            delivery.event_id = first.event_id  # one event, one id, for every subscriber
        first = first or delivery
        delivery.payload = {"id": str(delivery.event_id), "type": event, "created": int(now.timestamp()), "data": data}
        deliveries.append(delivery)
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        outbox_task(_TASK, delivery.pk)
    return deliveries


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_target_check(*, url: str, allow_private: bool) -> None:
    """Raises UnsafeTarget for a URL that is not http(s), or whose host resolves to an
    address that is not public (unless allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("only http and https URLs with a host")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"the host {parts.hostname} does not resolve") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise UnsafeTarget(f"{parts.hostname} resolves to {address}, which is not a public address")


def _attempt(delivery: WebhookDelivery) -> WebhookAttempt:
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "helpdesk-webhooks/1",
        SIGNATURE_HEADER: webhook_signature(secret=subscription.secret, timestamp=timestamp, body=body),
        "Helpdesk-Event": delivery.event,
        "Helpdesk-Delivery": str(delivery.event_id),
    }
    began = time.perf_counter()
    attempt = WebhookAttempt(delivery=delivery)
    try:
        webhook_target_check(url=subscription.url, allow_private=subscription.allow_private_host)
        response = requests.post(subscription.url, data=body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False)
        attempt.status_code = response.status_code
        attempt.response = response.text[:500]
    except UnsafeTarget as exc:
        attempt.error = f"refused: {exc}"[:500]
    except requests.RequestException as exc:
        attempt.error = f"{exc.__class__.__name__}: {exc}"[:500]
    attempt.duration_ms = int((time.perf_counter() - began) * 1000)
    return attempt


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt at a pending delivery. A 2xx answer settles it; anything else is
    logged and the next attempt scheduled, until MAX_ATTEMPTS. A delivery no longer
    pending (settled, or taken by another worker) is left alone."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("subscription")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return None
        attempt = _attempt(delivery)
        attempt.save()
        delivery.attempts += 1
        if attempt.status_code is not None and 200 <= attempt.status_code < 300:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.finished_at = timezone.now()
        elif delivery.attempts >= MAX_ATTEMPTS or attempt.error.startswith("refused:"):
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.finished_at = timezone.now()
        else:
            outbox_task(_TASK, delivery.pk, countdown=RETRY_BASE_S * 2 ** (delivery.attempts - 1))
        delivery.save(update_fields=["status", "attempts", "finished_at"])
    return delivery


@transaction.atomic
def webhook_delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """An administrator's resend: the delivery is pending again, with its attempts
    counted afresh, and sent at once. Its event id stays, so receivers can tell."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, finished_at=None
    )
    outbox_task(_TASK, delivery.pk)
    delivery.refresh_from_db()
    return delivery
