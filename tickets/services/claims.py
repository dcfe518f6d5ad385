"""Addresses a chat visitor only claims, and the three ways a claim becomes an identity.

Anyone can type someone else's email into a pre-chat form. So a pre-chat address is
a claim: the conversation stays with the visitor's own, provisional customer,
marked "unverified, may be X", and nothing of X's reaches the visitor. It becomes an
identity when
- the embedding site vouches for its signed-in user, with an HMAC of the user's id
  and email under HELPDESK_CHAT_IDENTITY_SECRET (as Intercom's and Chatwoot's
  identity validation do): chat_visitor_vouch;
- the visitor proves it with a code sent to the address: claim_code_issue and
  claim_code_check;
- an agent who checked confirms it in the console: claim_confirm(method=AGENT).
Then the provisional customer is merged into the customer who has the address (or
the address becomes its own verified identity), keeping every message."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from tickets.models import ContactIdentity, Customer, IdentityClaim
from tickets.services.customers import customer_merge, live_customer
from tickets.services.identities import InvalidAddress, normalize_address, normalize_email
from tickets.services.search_documents import search_documents_customer_changed
from tickets.services.throttle import counter_incr, hashed_key

Method = IdentityClaim.Method
CODE_TTL_S = 15 * 60
CODE_MAX_TRIES = 5


class ClaimError(ValueError):
    """A verification that cannot be done; its text is for the visitor or the agent."""


def customer_claims(*, customer_id: int):
    """Every claim of a customer, verified or not, oldest first."""
    return IdentityClaim.objects.filter(customer_id=customer_id).select_related("may_be").order_by("created_at", "id")


def open_claims(*, customer_id: int):
    """The unverified claims of a customer, for the console's flag."""
    return customer_claims(customer_id=customer_id).filter(verified_at__isnull=True)


@transaction.atomic
def claim_confirm(*, claim_id: int, method: str, user=None) -> Customer:
    """The claim is true: the provisional customer joins the customer who has the
    address, or the address becomes the customer's own verified identity. Returns
    the customer the conversation now belongs to; running it again changes nothing."""
    claim = IdentityClaim.objects.select_for_update().select_related("customer").get(pk=claim_id)
    customer = live_customer(claim.customer)
    if claim.verified_at is None:
        claim.verified_at = timezone.now()
        claim.verified_by = method
        claim.verified_by_user = user
        claim.save(update_fields=["verified_at", "verified_by", "verified_by_user"])
    owner = ContactIdentity.objects.select_related("customer").filter(kind=claim.kind, address=claim.address).first()
    if owner is None:
        ContactIdentity.objects.create(
            customer=customer,
            kind=claim.kind,
            address=claim.address,
            lookup_key=normalize_address(claim.address).lookup_key,
            verified=True,
        )
        search_documents_customer_changed(customer_ids=[customer.pk])
        return customer
    target = live_customer(owner.customer)
    ContactIdentity.objects.filter(pk=owner.pk).update(verified=True)
    if target.pk == customer.pk:
        return customer
    return customer_merge(source=customer, target=target, actor=user)


# -- (a) the embedding site vouches for its signed-in user ---------------------------------


def identity_hash(*, user_id: str, email: str) -> str:
    """What the embedding site computes on its server, and passes to the widget:
    hex HMAC-SHA256 of "<user id>:<email, lower-cased>" under the shared secret."""
    secret = settings.HELPDESK_CHAT_IDENTITY_SECRET.encode()
    return hmac.new(secret, f"{user_id}:{email.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def identity_hash_valid(*, user_id: str, email: str, user_hash: str) -> bool:
    if not settings.HELPDESK_CHAT_IDENTITY_SECRET or not user_id or not email or not user_hash:
        return False
    return hmac.compare_digest(identity_hash(user_id=user_id, email=email), user_hash.strip().lower())


@transaction.atomic
def chat_visitor_vouch(*, visitor: str, name: str, email: str) -> Customer:
    """The site vouched for this visitor's email: the visitor's chat identity belongs
    to the customer with that email (created if new), before the first message."""
    normalized = normalize_email(email)
    owner = ContactIdentity.objects.select_related("customer").filter(kind="email", address=normalized.address).first()
    if owner is None:
        customer = Customer.objects.create(name=name[:200])
        owner = ContactIdentity.objects.create(
            customer=customer, kind="email", address=normalized.address, lookup_key=normalized.lookup_key, verified=True
        )
    customer = live_customer(owner.customer)
    chat, created = ContactIdentity.objects.get_or_create(
        kind=ContactIdentity.Kind.CHAT,
        address=visitor,
        defaults={"customer": customer, "lookup_key": visitor, "verified": True},
    )
    provisional = live_customer(chat.customer)
    if not created and provisional.pk != customer.pk:
        claim = IdentityClaim.objects.filter(customer=provisional, kind="email", address=normalized.address).first()
        if claim is not None:
            return claim_confirm(claim_id=claim.pk, method=Method.SITE)
        return customer_merge(source=provisional, target=customer)
    return customer


# -- (b) the visitor proves it with a code sent to the address ------------------------------


def _code_key(claim_id: int) -> str:
    return f"claim-code:{claim_id}"


def claim_code_issue(*, claim: IdentityClaim) -> str:
    """A new six-digit code for the claim, kept (hashed) for CODE_TTL_S; the caller
    sends it to the claimed address."""
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_code_key(claim.pk), hashlib.sha256(f"{claim.pk}:{code}".encode()).hexdigest(), timeout=CODE_TTL_S)
    return code


def claim_code_check(*, claim: IdentityClaim, code: str) -> Customer:
    """Confirms the claim when the code is the one sent; a few wrong tries end it."""
    tries = counter_incr(hashed_key("claim-code-tries", str(claim.pk)), timeout=CODE_TTL_S)
    expected = cache.get(_code_key(claim.pk))
    given = hashlib.sha256(f"{claim.pk}:{code.strip()}".encode()).hexdigest()
    if tries > CODE_MAX_TRIES:
        cache.delete(_code_key(claim.pk))
        raise ClaimError("too_many_tries")
    if not expected or not hmac.compare_digest(expected, given):
        raise ClaimError("wrong_code")
    cache.delete(_code_key(claim.pk))
    return claim_confirm(claim_id=claim.pk, method=Method.CODE)


def visitor_claim(*, visitor: str, address: str = "") -> IdentityClaim | None:
    """The open claim of a chat visitor's customer: the one on `address`, else the
    first email claim, else any."""
    identity = ContactIdentity.objects.select_related("customer").filter(kind="chat", address=visitor).first()
    if identity is None:
        return None
    claims = open_claims(customer_id=live_customer(identity.customer).pk)
    if address:
        try:
            normalized = normalize_address(address)
        except InvalidAddress:
            return None
        return claims.filter(kind=normalized.kind, address=normalized.address).first()
    return claims.filter(kind="email").first() or claims.first()
