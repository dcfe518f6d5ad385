"""Normalizing the addresses customers write from, so that one person on four
channels resolves to one ContactIdentity per address."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext

from tickets.models import ContactIdentity

_NON_DIGITS = re.compile(r"[^\d]")
# Addresses written `line:<userId>`, `messenger:<PSID>`, `instagram:<IGSID>`.
_MESSAGING_KINDS = {
    "line": ContactIdentity.Kind.LINE,
    "messenger": ContactIdentity.Kind.MESSENGER,
    "instagram": ContactIdentity.Kind.INSTAGRAM,
}


class InvalidAddress(ValueError):
    pass


@dataclass(frozen=True)
class NormalizedAddress:
    kind: str
    address: str
    lookup_key: str


def normalize_email(raw: str) -> NormalizedAddress:
    _, addr = parseaddr(raw)
    addr = (addr or raw).strip().strip("<>").casefold()
    local, _, domain = addr.rpartition("@")
    if not local or not domain or " " in addr:
        raise InvalidAddress(gettext("not an email address: %(address)r") % {"address": raw})
    # Plus-addresses stay distinct identities but are found by their base address.
    base_local = local.split("+", 1)[0] or local
    return NormalizedAddress(ContactIdentity.Kind.EMAIL, addr, f"{base_local}@{domain}")


def normalize_phone(raw: str, *, region: str | None = None) -> NormalizedAddress:
    """E.164 through libphonenumber with the default region. A number that
    libphonenumber cannot make sense of is kept as its digits rather than dropped."""
    region = region or settings.HELPDESK_DEFAULT_REGION
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, region)
        if phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return NormalizedAddress(ContactIdentity.Kind.PHONE, e164, e164)
    except phonenumbers.NumberParseException:
        pass
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        raise InvalidAddress(gettext("not a phone number: %(address)r") % {"address": raw})
    address = f"+{digits}" if text.startswith("+") else digits
    return NormalizedAddress(ContactIdentity.Kind.PHONE, address, address)


def normalize_address(raw: str, *, region: str | None = None) -> NormalizedAddress:
    """Any address a customer can write from, in any of its usual spellings."""
    return _normalize_cached(raw or "", region or settings.HELPDESK_DEFAULT_REGION)


# Each inbound message is normalized when it is accepted and again when it is
# processed, and a conversation's senders come back: parsing a phone number costs
# more than the rest of accepting it. Addresses that are refused are not kept.
@lru_cache(maxsize=8192)
def _normalize_cached(raw: str, region: str) -> NormalizedAddress:
    text = raw.strip()
    if not text:
        raise InvalidAddress(gettext("empty address"))
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower() if sep else ""
    if scheme == "whatsapp":
        rest = rest.strip()
        # A WhatsApp user may have no phone number, only a business-scoped user id.
        if re.fullmatch(r"\+?[\d\s().-]{5,}", rest):
            return normalize_phone(rest, region=region)
        if not rest:
            raise InvalidAddress(gettext("empty WhatsApp address: %(address)r") % {"address": raw})
        return NormalizedAddress(ContactIdentity.Kind.WHATSAPP, rest, rest)
    if scheme in {"tel", "sms"}:
        return normalize_phone(rest, region=region)
    if scheme == "chat":
        visitor = rest.strip()
        if not visitor:
            raise InvalidAddress(gettext("empty chat visitor id"))
        return NormalizedAddress(ContactIdentity.Kind.CHAT, visitor, visitor)
    if scheme in _MESSAGING_KINDS:
        # Provider-issued opaque ids (LINE userId, page-scoped PSID/IGSID): case matters, spaces never do.
        user_id = rest.strip()
        if not user_id or any(ch.isspace() for ch in user_id):
            raise InvalidAddress(gettext("not a %(kind)s user id: %(address)r") % {"kind": scheme, "address": raw})
        return NormalizedAddress(_MESSAGING_KINDS[scheme], user_id, user_id)
    if scheme == "mailto":
        return normalize_email(rest)
    if "@" in text:
        return normalize_email(text)
    return normalize_phone(text, region=region)
