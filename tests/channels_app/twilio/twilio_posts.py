"""Webhook posts signed the way Twilio signs them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from twilio.request_validator import RequestValidator


def sign(url: str, params: dict) -> str:
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)


def post_twilio(client, path: str, params: dict, *, signature: str | None = None, **headers):
    """Posts form parameters as Twilio does: urlencoded, signed over the public URL."""
    if signature is None:
        signature = sign(settings.HELPDESK_PUBLIC_URL + path, params)
    if signature:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    return client.post(path, urlencode(params), content_type="application/x-www-form-urlencoded", **headers)


def sms_params(
    body: str = "hello", *, sid: str = "SM00000000000000000000000000000001", sender: str = "+66812345678", **extra
):
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": sender,
        "To": settings.TWILIO_SMS_FROM,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }
