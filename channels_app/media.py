"""Files a provider hosts (Twilio, LINE, Meta), downloaded by a task after the
message is stored: which types are accepted, the errors, and the one way a download
is checked and stored through Django's storage API."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from fnmatch import fnmatch

from django.conf import settings
from django.core.files import File

from tickets.models import Attachment

CHUNK = 64 * 1024
ALLOWED_CONTENT_TYPES = (
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif", "image/bmp", "image/tiff",
    "audio/*", "video/*",
    "application/pdf",
    "text/vcard", "text/x-vcard", "text/directory",
    "text/plain", "text/csv", "text/calendar",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.*", "application/vnd.oasis.opendocument.*",
    "application/rtf", "application/zip",
)  # fmt: skip


class MediaFetchError(Exception):
    """The media cannot be stored; retrying will not help."""


class TransientMediaError(Exception):
    """A timeout, a refused connection or a 5xx: worth another try."""


def content_type_allowed(content_type: str) -> bool:
    bare = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch(bare, pattern) for pattern in ALLOWED_CONTENT_TYPES)


def media_store(
    *,
    attachment: Attachment,
    headers,
    chunks: Iterable[bytes],
    transport_errors: tuple[type[BaseException], ...],
) -> Attachment:
    """Checks the answer's type and size (declared, then counted as it streams in,
    so an endless body stops at the limit) and stores the file on the attachment."""
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    content_type = (headers.get("Content-Type") or attachment.content_type).split(";", 1)[0].strip()
    if not content_type_allowed(content_type):
        raise MediaFetchError(f"file type {content_type[:60]} is not accepted")
    declared = headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise MediaFetchError(f"the file is larger than {limit} bytes")
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as buffer:
        size = 0
        try:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise MediaFetchError(f"the file is larger than {limit} bytes")
                buffer.write(chunk)
        except transport_errors as exc:
            raise TransientMediaError(f"the download broke off: {exc.__class__.__name__}") from exc
        buffer.seek(0)
        attachment.content_type = content_type.lower()[:150]
        attachment.size = size
        attachment.fetch_error = ""
        attachment.file.save(attachment.filename or "media", File(buffer), save=False)
    attachment.save(update_fields=["file", "content_type", "size", "fetch_error"])
    return attachment
