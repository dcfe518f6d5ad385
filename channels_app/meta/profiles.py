"""Names and pictures of Messenger and Instagram users, from the Graph API's user
profile endpoints, fetched by a task after their first message (and again once a
day). As with LINE, the customer takes the name unless an agent named them otherwise.
https://developers.facebook.com/docs/messenger-platform/identity/user-profile
https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/messaging-api/user-profile
"""

from __future__ import annotations

from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_app.health import channel_error_record
from channels_app.models import MessagingContact
from tickets.models import ContactIdentity, Customer
from tickets.services.search_documents import search_documents_customer_changed

_FIELDS = {"messenger": "first_name,last_name,profile_pic", "instagram": "name,username,profile_pic"}
PROFILE_MAX_AGE = timedelta(hours=24)


class TransientMetaError(Exception):
    """Meta could not be reached or limited us: worth another try."""


def meta_profile_stale(*, channel: str, user_id: str) -> bool:
    return not MessagingContact.objects.filter(
        platform=channel, user_id=user_id, profile_fetched_at__gte=timezone.now() - PROFILE_MAX_AGE
    ).exists()


def _name(channel: str, profile: dict) -> str:
    if channel == "instagram":
        return str(profile.get("name") or profile.get("username") or "").strip()[:200]
    return " ".join(str(profile.get(key) or "").strip() for key in ("first_name", "last_name")).strip()[:200]


def meta_profile_refresh(*, channel: str, user_id: str) -> MessagingContact:
    contact, _ = MessagingContact.objects.get_or_create(platform=channel, user_id=user_id)
    url = f"{settings.META_GRAPH_BASE_URL.rstrip('/')}/{settings.META_GRAPH_VERSION}/{user_id}"
    headers = {"Authorization": f"Bearer {settings.META_PAGE_ACCESS_TOKEN}"}
    try:
        response = requests.get(
            url, params={"fields": _FIELDS[channel]}, headers=headers, timeout=settings.META_HTTP_TIMEOUT
        )
    except requests.RequestException as exc:
        channel_error_record(channel=channel, error=f"profile: Graph API unreachable ({exc.__class__.__name__})")
        raise TransientMetaError(exc.__class__.__name__) from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientMetaError(f"Meta answered {response.status_code}")
    try:
        profile = response.json()
    except ValueError:
        profile = {}
    if response.status_code != 200 or not isinstance(profile, dict):
        error = (profile.get("error") or {}) if isinstance(profile, dict) else {}
        message = error.get("message") if isinstance(error, dict) else ""
        contact.profile_error = f"{response.status_code}: {message or 'no profile'}"[:300]
        contact.profile_fetched_at = timezone.now()
        contact.save(update_fields=["profile_error", "profile_fetched_at"])
        return contact
    name = _name(channel, profile)
    with transaction.atomic():
        contact = MessagingContact.objects.select_for_update().get(pk=contact.pk)
        identity = ContactIdentity.objects.filter(kind=channel, address=user_id).first()
        if identity is not None and name:
            # Only a name that is empty, or is the one Meta gave before, is Meta's to change.
            if Customer.objects.filter(pk=identity.customer_id, name__in=["", contact.applied_name]).update(name=name):
                search_documents_customer_changed(customer_ids=[identity.customer_id])
        contact.display_name = name
        contact.applied_name = name or contact.applied_name
        contact.picture_url = str(profile.get("profile_pic") or "")[:1000]
        contact.profile_error = ""
        contact.profile_fetched_at = timezone.now()
        contact.save()
    return contact
