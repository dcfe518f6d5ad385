"""The Idempotency-Key header on the API's POSTs (tickets.services.idempotency)."""

from __future__ import annotations

import functools
import json

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from tickets.services.idempotency import (
    MAX_KEY_LENGTH,
    KeyConflict,
    idempotency_begin,
    idempotency_finish,
    request_fingerprint,
)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID). A retry with the same key within 24 hours returns the first answer "
        "and creates nothing; the same key on a different request is a 422."
    ),
)


def idempotent(view_method):
    """For a viewset method: POSTs with an Idempotency-Key run once per user and key."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "")
        if request.method != "POST" or not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return Response(
                {"detail": _("The Idempotency-Key is longer than %(max)d characters.") % {"max": MAX_KEY_LENGTH}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        user_id = request.user.pk
        fingerprint = request_fingerprint(method=request.method, path=request.get_full_path(), body=request.body)
        # The claim, the request's own writes and the answer kept for retries commit
        # together: one commit where three cost three waits for the disk. A retry that
        # arrives meanwhile waits on the claim's row and replays the answer; a request
        # that raises leaves no claim behind, as its writes are rolled back with it.
        with transaction.atomic():
            try:
                replay = idempotency_begin(user_id=user_id, key=key, fingerprint=fingerprint)
            except KeyConflict as exc:
                return _conflict_response(exc)
            if replay is not None:
                response = Response(replay.body, status=replay.status_code)
                response["Idempotent-Replayed"] = "true"
                return response
            response = view_method(self, request, *args, **kwargs)
            # Stored as the client saw it: JSON-safe data (dates as strings).
            body = json.loads(json.dumps(response.data, default=str)) if response.data is not None else None
            idempotency_finish(user_id=user_id, key=key, status_code=response.status_code, body=body)
        return response

    return wrapper


def _conflict_response(exc: KeyConflict) -> Response:
    if exc.reason == "in_progress":
        return Response(
            {"detail": _("A request with this Idempotency-Key is still being processed. Retry shortly.")},
            status=status.HTTP_409_CONFLICT,
        )
    return Response(
        {"detail": _("This Idempotency-Key was already used for a different request.")},
        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
    )
