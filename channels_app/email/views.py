"""The raw-MIME webhook: an MTA (a Postfix pipe, a relay) POSTs the RFC 5322 bytes
of each mail to /webhooks/email/inbound/ with the shared token."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_app.email.inbound import NotAnEmail, email_ingest
from tickets.models import InboundEvent
from tickets.services.ingest import InvalidInbound

TOKEN_HEADER = "X-Helpdesk-Token"


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@csrf_exempt
@require_POST
def inbound_email(request: HttpRequest) -> JsonResponse:
    expected = settings.HELPDESK_INBOUND_TOKEN
    given = request.headers.get(TOKEN_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return _error(403, f"missing or wrong {TOKEN_HEADER} header")
    limit = settings.HELPDESK_MAX_INBOUND_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _error(400, "the Content-Length header is not a number")
    if declared > limit:
        return _error(413, f"the message is larger than the limit of {limit} bytes")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return _error(413, f"the message is larger than the limit of {limit} bytes")
    if not raw.strip():
        return _error(400, "the body is empty; send the raw RFC 5322 message as the request body")
    try:
        result = email_ingest(raw=raw, source="webhook")
    except (NotAnEmail, InvalidInbound) as exc:
        return _error(400, str(exc))
    # Stored, and processed after the answer (or failed, kept for replay): either way
    # the sender must not send it again.
    status = 202 if result.status in (InboundEvent.Status.RECEIVED, InboundEvent.Status.FAILED) else 200
    return JsonResponse(
        {
            "status": result.status,
            "event": result.event.pk,
            "message": result.message.pk if result.message else None,
            "ticket": result.ticket.pk if result.ticket else None,
        },
        status=status,
    )
