"""API errors as clear 4xx answers: a `detail` that says what is wrong, and the
field errors beside it."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from tickets.services.customers import MergeError
from tickets.services.identities import InvalidAddress
from tickets.services.replies import ReplyError
from tickets.services.tickets import InvalidTransition

DOMAIN_ERRORS = (InvalidAddress, InvalidTransition, ReplyError, MergeError, DjangoValidationError)


class BoundedJSONParser(JSONParser):
    """JSON nested deeper than Python's recursion limit is a 400, not a crash of the decoder."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from None


def _summary(data) -> str:
    if isinstance(data, dict):
        parts = []
        for field, errors in data.items():
            text = _summary(errors)
            parts.append(text if field in ("non_field_errors", "detail") else f"{field}: {text}")
        return "; ".join(parts)
    if isinstance(data, list):
        return " ".join(_summary(item) for item in data)
    return str(data)


def exception_handler(exc, context):
    if isinstance(exc, DOMAIN_ERRORS):
        message = "; ".join(exc.messages) if isinstance(exc, DjangoValidationError) else str(exc)
        return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError) and "NUL (0x00)" in str(exc):
        # PostgreSQL refuses NUL in any text, even one only looked up (a slug, a search).
        set_rollback()
        return Response(
            {"detail": _("The request contains a NUL character, which is not allowed.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = {"detail": _summary(response.data), "errors": response.data}
    return response
