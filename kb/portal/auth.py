"""Passwordless sign-in for customers: a one-time link by email, or a six-digit code
by SMS. Neither needs a model: links are signed (django.core.signing) and made
single-use by a nonce in the cache; codes live in the cache, hashed, with a counter
of wrong attempts.

Whether the address is known or not, the caller gives the same answer; only a known
address is sent anything, so the form cannot be used to find out who is a customer."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from kb.portal.ratelimit import counter_incr
from tickets.models import ContactIdentity, Customer
from tickets.selectors.customers import customer_find_by_identity
from tickets.services.identities import InvalidAddress, NormalizedAddress, normalize_address

logger = logging.getLogger(__name__)

LINK_SALT = "kb.portal.signin-link"
LINK_MAX_AGE_S = 15 * 60
CODE_TTL_S = 10 * 60
CODE_MAX_ATTEMPTS = 5
CODE_LOCKOUT_S = 15 * 60


class SigninAddressInvalid(ValueError):
    """Neither an email address nor a phone number."""


class SigninLocked(Exception):
    """Too many wrong codes for this address; it must wait."""


@dataclass(frozen=True)
class SigninStarted:
    kind: str  # "email" (a link was sent) or "phone" (a code was sent)
    address: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:40]


def signin_address_normalize(address: str) -> NormalizedAddress:
    try:
        normalized = normalize_address(address)
    except InvalidAddress:
        raise SigninAddressInvalid(address) from None
    if normalized.kind not in (ContactIdentity.Kind.EMAIL, ContactIdentity.Kind.PHONE):
        raise SigninAddressInvalid(address)
    if normalized.kind == ContactIdentity.Kind.PHONE and len(normalized.address.lstrip("+")) < 8:
        raise SigninAddressInvalid(address)
    return normalized


def _customer_for(normalized: NormalizedAddress) -> Customer | None:
    """Only the exact identity signs in: a base email address does not open the
    customer of one of its plus-addresses."""
    return (
        customer_find_by_identity(normalized.address)
        .filter(identities__kind=normalized.kind, identities__address=normalized.address, erased_at__isnull=True)
        .first()
    )


def signin_start(*, address: str, language: str) -> SigninStarted:
    """Sends a link (email) or a code (phone) when the address belongs to a customer.
    Raises SigninAddressInvalid for something that is neither."""
    normalized = signin_address_normalize(address)
    customer = _customer_for(normalized)
    if customer is not None:
        if normalized.kind == ContactIdentity.Kind.EMAIL:
            _link_send(customer=customer, email=normalized.address, language=language)
        else:
            _code_send(customer=customer, phone=normalized.address, language=language)
    return SigninStarted(kind=normalized.kind, address=normalized.address)


# One-time links ---------------------------------------------------------------------


def _link_nonce_key(nonce: str) -> str:
    return f"portal:link:{nonce}"


def signin_link_create(*, customer: Customer) -> str:
    nonce = secrets.token_urlsafe(16)
    cache.set(_link_nonce_key(nonce), customer.pk, timeout=LINK_MAX_AGE_S)
    return signing.dumps({"c": customer.pk, "n": nonce}, salt=LINK_SALT)


def _link_send(*, customer: Customer, email: str, language: str) -> None:
    token = signin_link_create(customer=customer)
    url = settings.HELPDESK_PUBLIC_URL + reverse("portal:signin-link", kwargs={"token": token})
    with translation.override(language):
        context = {"customer": customer, "url": url, "minutes": LINK_MAX_AGE_S // 60}
        subject = gettext("Your sign-in link for the help portal")
        body = render_to_string("portal/email/signin_link.txt", context)
        html = render_to_string("portal/email/signin_link.html", context)
    try:
        send_mail(subject, body, None, [email], html_message=html)
    except Exception:  # a mail server hiccup must not tell the visitor whether the address is known
        logger.exception("could not send a portal sign-in link to customer %s", customer.pk)


def _link_payload(token: str) -> dict | None:
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE_S)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    return data


def signin_link_is_usable(token: str) -> bool:
    data = _link_payload(token)
    return data is not None and cache.get(_link_nonce_key(data["n"])) == data.get("c")


def signin_link_consume(token: str) -> Customer | None:
    """The customer the link signs in, once: deleting the nonce is the one atomic
    step that decides which of two clicks wins."""
    data = _link_payload(token)
    if data is None or cache.get(_link_nonce_key(data["n"])) != data.get("c"):
        return None
    if not cache.delete(_link_nonce_key(data["n"])):
        return None
    return Customer.objects.filter(pk=data["c"], erased_at__isnull=True).first()


# SMS codes --------------------------------------------------------------------------


def _code_key(phone: str) -> str:
    return f"portal:code:{_digest(phone)}"


def _failures_key(phone: str) -> str:
    return f"portal:code-fail:{_digest(phone)}"


def _code_hash(*, phone: str, code: str) -> str:
    return salted_hmac("kb.portal.signin-code", f"{phone}:{code}").hexdigest()


def _code_send(*, customer: Customer, phone: str, language: str) -> None:
    # By a task: the SMS provider's time is not the visitor's, and its failures are retried.
    from kb.tasks import portal_signin_code_send

    portal_signin_code_send.delay(customer_id=customer.pk, phone=phone, language=language)


def signin_code_issue_and_send(*, customer_id: int, phone: str, language: str) -> None:
    """A new code for the number, replacing any earlier one, sent by SMS through
    settings.PORTAL_SMS_CODE_SENDER (Twilio's client, which honours
    TWILIO_API_BASE_URL). The code exists only in the cache (hashed) and the SMS."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    cache.set(_code_key(phone), {"c": customer_id, "h": _code_hash(phone=phone, code=code)}, timeout=CODE_TTL_S)
    with translation.override(language):
        body = gettext("Your help portal sign-in code is %(code)s. It expires in %(minutes)s minutes.") % {
            "code": code,
            "minutes": CODE_TTL_S // 60,
        }
    import_string(settings.PORTAL_SMS_CODE_SENDER)(phone=phone, body=body)


def signin_code_verify(*, address: str, code: str) -> Customer | None:
    """The customer, when the code is right. A wrong code (or any code for an unknown
    number) counts as a failure; after CODE_MAX_ATTEMPTS the number is locked out
    and its code is void. Raises SigninLocked, SigninAddressInvalid."""
    phone = signin_address_normalize(address).address
    failures_key = _failures_key(phone)
    if (cache.get(failures_key) or 0) >= CODE_MAX_ATTEMPTS:
        raise SigninLocked(phone)
    stored = cache.get(_code_key(phone))
    code = "".join(ch for ch in code if ch.isdigit())
    if stored and len(code) == 6 and constant_time_compare(stored["h"], _code_hash(phone=phone, code=code)):
        if cache.delete(_code_key(phone)):
            cache.delete(failures_key)
            return Customer.objects.filter(pk=stored["c"], erased_at__isnull=True).first()
        return None
    if counter_incr(failures_key, timeout=CODE_LOCKOUT_S) >= CODE_MAX_ATTEMPTS:
        cache.delete(_code_key(phone))
        raise SigninLocked(phone)
    return None
