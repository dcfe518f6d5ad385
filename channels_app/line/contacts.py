"""What LINE tells us about its users: follow and unfollow (an opt-out), the
profile (display name and picture), and the verified link of a LINE user to a
customer we already know."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from linebot.v3.messaging.exceptions import ApiException

from channels_app.health import channel_error_record
from channels_app.line.client import TRANSPORT_ERRORS, api_error_message, line_api
from channels_app.models import LineLinkCode, MessagingContact
from tickets.models import Channel, ContactIdentity, Customer
from tickets.services.customers import MergeError, customer_merge
from tickets.services.search_documents import search_documents_customer_changed

logger = logging.getLogger(__name__)
Platform = MessagingContact.Platform

LINK_CODE_TTL = timedelta(minutes=15)
# "LINK-7K4QX2PM": no 0/O or 1/I, which are misread; 32**8 codes, for 15 minutes.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_LINK_CODE = re.compile(r"^\s*LINK[-\s]?([A-Z0-9]{8})\s*$", re.IGNORECASE)


class TransientLineError(Exception):
    """LINE could not be reached or asked us to slow down: worth another try."""


def line_contact(user_id: str) -> MessagingContact:
    contact, _ = MessagingContact.objects.get_or_create(platform=Platform.LINE, user_id=user_id)
    return contact


def line_follow_record(*, user_id: str, followed: bool, at: datetime | None) -> None:
    """follow opts the user in, unfollow (they blocked the account) opts them out. An
    event older than the last change (a late redelivery) changes nothing."""
    at = at or timezone.now()
    line_contact(user_id)
    MessagingContact.objects.filter(platform=Platform.LINE, user_id=user_id).exclude(follow_changed_at__gt=at).update(
        opted_out=not followed, follow_changed_at=at
    )


def line_opted_out(user_id: str) -> bool:
    return MessagingContact.objects.filter(platform=Platform.LINE, user_id=user_id, opted_out=True).exists()


def line_profile_stale(user_id: str) -> bool:
    fresh_since = timezone.now() - timedelta(hours=settings.LINE_PROFILE_MAX_AGE_H)
    return not MessagingContact.objects.filter(
        platform=Platform.LINE, user_id=user_id, profile_fetched_at__gte=fresh_since
    ).exists()


def line_profile_refresh(*, user_id: str) -> MessagingContact:
    """Looks the user's profile up and keeps it. The customer takes the display name
    unless an agent named them otherwise. Raises TransientLineError when LINE cannot
    be reached or limits us; a user LINE does not know (they blocked us) is recorded."""
    contact = line_contact(user_id)
    try:
        profile = line_api().get_profile(user_id, _request_timeout=settings.LINE_HTTP_TIMEOUT)
    except ApiException as exc:
        if exc.status == 429 or (exc.status or 500) >= 500:
            channel_error_record(channel=Channel.LINE, error=f"profile {exc.status}: {api_error_message(exc)}")
            raise TransientLineError(f"LINE answered {exc.status}") from exc
        contact.profile_error = f"{exc.status}: {api_error_message(exc)}"[:300]
        contact.profile_fetched_at = timezone.now()
        contact.save(update_fields=["profile_error", "profile_fetched_at"])
        return contact
    except TRANSPORT_ERRORS as exc:
        channel_error_record(channel=Channel.LINE, error=f"profile: LINE unreachable ({exc.__class__.__name__})")
        raise TransientLineError(f"LINE could not be reached: {exc.__class__.__name__}") from exc
    name = (profile.display_name or "").strip()[:200]
    with transaction.atomic():
        contact = MessagingContact.objects.select_for_update().get(pk=contact.pk)
        identity = ContactIdentity.objects.filter(kind=ContactIdentity.Kind.LINE, address=user_id).first()
        if identity is not None and name:
            # Only a name that is empty, or is the one LINE gave before, is LINE's to change.
            if Customer.objects.filter(pk=identity.customer_id, name__in=["", contact.applied_name]).update(name=name):
                search_documents_customer_changed(customer_ids=[identity.customer_id])
        contact.display_name = name
        contact.applied_name = name or contact.applied_name
        contact.picture_url = (profile.picture_url or "")[:1000]
        contact.status_message = (profile.status_message or "")[:500]
        contact.language = (profile.language or "")[:16]
        contact.profile_error = ""
        contact.profile_fetched_at = timezone.now()
        contact.save()
    return contact


def line_link_code_issue(*, customer: Customer) -> LineLinkCode:
    """A code for a customer who proved who they are (signed in on the portal) to send
    from LINE, which proves the LINE account is theirs."""
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    now = timezone.now()
    return LineLinkCode.objects.create(customer=customer, code=code, created_at=now, expires_at=now + LINK_CODE_TTL)


def line_link_code_of(text: str) -> str:
    match = _LINK_CODE.match(text or "")
    return match.group(1).upper() if match else ""


@transaction.atomic
def line_link_redeem(*, user_id: str, code: str) -> Customer | None:
    """Links the LINE user who sent a valid code to the code's customer, and marks the
    LINE identity verified. A LINE user already known as another customer is merged
    into that customer (every message kept; undone like any other merge). None for an
    unknown, used or expired code."""
    link = (
        LineLinkCode.objects.select_for_update()
        .filter(code=code, used_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("customer")
        .first()
    )
    if link is None:
        return None
    link.used_at = timezone.now()
    link.line_user_id = user_id
    link.save(update_fields=["used_at", "line_user_id"])
    target = link.customer
    while target.merged_into_id:
        target = target.merged_into
    identity, _ = ContactIdentity.objects.get_or_create(
        kind=ContactIdentity.Kind.LINE, address=user_id, defaults={"customer": target, "lookup_key": user_id}
    )
    if identity.customer_id != target.pk:
        try:
            target = customer_merge(source=identity.customer, target=target)
        except MergeError:
            logger.warning("LINE user %s could not be linked to customer %s", user_id, target.pk)
            return None
    ContactIdentity.objects.filter(pk=identity.pk).update(verified=True)
    return target
