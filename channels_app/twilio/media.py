"""Fetching the media of MMS and WhatsApp messages that Twilio hosts, safely.

Twilio's media URLs need HTTP basic auth (account SID, auth token) and redirect to
its CDN. Only Twilio's hosts are fetched (the credentials never go anywhere else),
redirects are followed by hand so that each hop is checked, the download stops past
HELPDESK_MAX_ATTACHMENT_BYTES, and only file types an agent can safely open are kept.
https://www.twilio.com/docs/messaging/api/media-resource
"""

from __future__ import annotations

import logging
from fnmatch import fnmatch
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from channels_app.media import CHUNK, MediaFetchError, TransientMediaError, media_store
from tickets.models import Attachment

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
def _rewritten(url: str) -> str:
    """In development and tests the Twilio API is a local fake at TWILIO_API_BASE_URL."""
    base = settings.TWILIO_API_BASE_URL.rstrip("/")
    if base and url.startswith("https://api.twilio.com/"):
        return base + url[len("https://api.twilio.com") :]
    return url


def _check_host(url: str) -> bool:
    """Refuses anything but Twilio's media hosts. Returns whether the host is Twilio's
    API, the only one that gets the credentials (the CDN URLs are pre-signed)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    for pattern in settings.TWILIO_MEDIA_HOSTS:
        pattern = pattern.lower()
        if ":" in pattern:
            # An explicit host:port (a local fake) may be plain http.
            if parts.scheme in ("http", "https") and netloc == pattern:
                return True
        elif parts.scheme == "https" and parts.port in (None, 443) and fnmatch(host, pattern):
            return host == "twilio.com" or host.endswith(".twilio.com")
    raise MediaFetchError(f"media host {host or '?'} is not one of Twilio's")


def _download(url: str, session: requests.Session):
    """Follows up to MAX_REDIRECTS redirects, checking each hop; returns the response
    of the final one, streaming."""
    auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    for _ in range(MAX_REDIRECTS + 1):
        with_credentials = _check_host(url)
        try:
            response = session.get(
                url,
                auth=auth if with_credentials else None,
                stream=True,
                allow_redirects=False,
                timeout=settings.TWILIO_HTTP_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise TransientMediaError(f"could not reach {urlsplit(url).hostname}: {exc.__class__.__name__}") from exc
        if response.is_redirect:
            location = response.headers.get("Location", "")
            response.close()
            if not location:
                raise MediaFetchError("a redirect without a location")
            url = urljoin(url, location)
            continue
        if response.status_code == 429 or response.status_code >= 500:
            response.close()
            raise TransientMediaError(f"Twilio answered {response.status_code}")
        if response.status_code != 200:
            response.close()
            raise MediaFetchError(f"Twilio answered {response.status_code}")
        return response
    raise MediaFetchError(f"more than {MAX_REDIRECTS} redirects")


def media_fetch(*, attachment: Attachment, session: requests.Session | None = None) -> Attachment:
    """Downloads one attachment's media and stores it through Django's storage API.
    Raises MediaFetchError or TransientMediaError; an attachment already stored is
    left alone."""
    if attachment.file:
        return attachment
    response = _download(_rewritten(attachment.source_url), session or requests.Session())
    with response:
        return media_store(
            attachment=attachment, headers=response.headers, chunks=response.iter_content(CHUNK),
            transport_errors=(requests.RequestException,),
        )


def media_fetch_failed(*, attachment_id: int, reason: str) -> None:
    logger.warning("media of attachment %s not stored: %s", attachment_id, reason)
    Attachment.objects.filter(pk=attachment_id).update(fetch_error=reason[:300])
