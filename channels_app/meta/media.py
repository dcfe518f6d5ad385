"""Fetching the files Messenger and Instagram users send, from Meta's CDN, by a task
after the message is stored: only from META_MEDIA_HOSTS, each redirect checked, and
within HELPDESK_MAX_ATTACHMENT_BYTES and the file types an agent can safely open."""

from __future__ import annotations

from fnmatch import fnmatch
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from channels_app.media import CHUNK, MediaFetchError, TransientMediaError, media_store
from tickets.models import Attachment

MAX_REDIRECTS = 3


def _check_host(url: str) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    for pattern in settings.META_MEDIA_HOSTS:
        pattern = pattern.lower()
        if ":" in pattern and parts.scheme in ("http", "https") and netloc == pattern:
            return
        if ":" not in pattern and parts.scheme == "https" and parts.port in (None, 443) and fnmatch(host, pattern):
            return
    raise MediaFetchError(f"media host {host or '?'} is not one of Meta's")


def _download(url: str, session: requests.Session) -> requests.Response:
    for _ in range(MAX_REDIRECTS + 1):
        _check_host(url)
        try:
            response = session.get(url, stream=True, allow_redirects=False, timeout=settings.META_HTTP_TIMEOUT)
        except requests.RequestException as exc:
            raise TransientMediaError(f"could not reach {urlsplit(url).hostname}: {exc.__class__.__name__}") from exc
        if response.is_redirect:
            url = urljoin(url, response.headers.get("Location", ""))
            response.close()
            continue
        if response.status_code == 429 or response.status_code >= 500:
            response.close()
            raise TransientMediaError(f"Meta answered {response.status_code}")
        if response.status_code != 200:
            response.close()
            # Meta's CDN URLs expire; a 403 or 404 will not get better.
            raise MediaFetchError(f"Meta answered {response.status_code}")
        return response
    raise MediaFetchError(f"more than {MAX_REDIRECTS} redirects")


def meta_media_fetch(*, attachment: Attachment, session: requests.Session) -> Attachment:
    if attachment.file:
        return attachment
    with _download(attachment.source_url, session) as response:
        return media_store(
            attachment=attachment, headers=response.headers, chunks=response.iter_content(CHUNK),
            transport_errors=(requests.RequestException,),
        )
