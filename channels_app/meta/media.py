"""Fetching the files Messenger and Instagram users send, from Meta's CDN, by a task
after the message is stored: only from META_MEDIA_HOSTS, each redirect checked, and
within HELPDESK_MAX_ATTACHMENT_BYTES and the file types an agent can safely open."""

from __future__ import annotations

import tempfile
from fnmatch import fnmatch
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.core.files import File

from channels_app.twilio.media import MediaFetchError, TransientMediaError, content_type_allowed
from tickets.models import Attachment

MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


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
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    with _download(attachment.source_url, session) as response:
        content_type = (response.headers.get("Content-Type") or attachment.content_type).split(";", 1)[0].strip()
        if not content_type_allowed(content_type):
            raise MediaFetchError(f"file type {content_type[:60]} is not accepted")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise MediaFetchError(f"the file is larger than {limit} bytes")
        with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as buffer:
            size = 0
            try:
                for chunk in response.iter_content(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise MediaFetchError(f"the file is larger than {limit} bytes")
                    buffer.write(chunk)
            except requests.RequestException as exc:
                raise TransientMediaError(f"the download broke off: {exc.__class__.__name__}") from exc
            buffer.seek(0)
            attachment.content_type = content_type.lower()[:150]
            attachment.size = size
            attachment.fetch_error = ""
            attachment.file.save(attachment.filename or "media", File(buffer), save=False)
    attachment.save(update_fields=["file", "content_type", "size", "fetch_error"])
    return attachment
