"""Fetching what LINE users send (images, video, audio, files) from LINE's content
API, by a task after the message is stored, within HELPDESK_MAX_ATTACHMENT_BYTES and
the file types an agent can safely open.

The SDK's MessagingApiBlob reads a whole file into memory before it returns, so the
download goes through the SDK's own REST client with the body streamed, and stops as
soon as the file is too large.
https://developers.line.biz/en/reference/messaging-api/#get-content
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from linebot.v3.messaging.exceptions import ApiException

from channels_app.line.client import TRANSPORT_ERRORS, api_error_message, line_blob_api
from channels_app.line.parsing import CONTENT_URL_PREFIX
from channels_app.media import CHUNK, MediaFetchError, TransientMediaError, media_store
from tickets.models import Attachment


def _content_response(message_id: str):
    client = line_blob_api().api_client
    url = f"{settings.LINE_API_DATA_BASE_URL.rstrip('/')}/v2/bot/message/{quote(message_id, safe='')}/content"
    headers = {"Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}", "User-Agent": client.user_agent}
    try:
        response = client.rest_client.request(
            "GET", url, headers=headers, _preload_content=False, _request_timeout=settings.LINE_HTTP_TIMEOUT
        )
    except ApiException as exc:
        if exc.status == 429 or (exc.status or 500) >= 500:
            raise TransientMediaError(f"LINE answered {exc.status}") from exc
        # 404: LINE keeps content for a limited time only.
        raise MediaFetchError(f"LINE answered {exc.status}: {api_error_message(exc)}"[:300]) from exc
    except TRANSPORT_ERRORS as exc:
        raise TransientMediaError(f"LINE could not be reached: {exc.__class__.__name__}") from exc
    if response.status == 202:
        # A video or audio still being prepared on LINE's side.
        response.release_conn()
        raise TransientMediaError("LINE is still preparing the content")
    return response


def line_media_fetch(*, attachment: Attachment) -> Attachment:
    """Downloads one attachment's content and stores it through Django's storage API.
    Raises MediaFetchError or TransientMediaError; one already stored is left alone."""
    if attachment.file or not attachment.source_url.startswith(CONTENT_URL_PREFIX):
        return attachment
    response = _content_response(attachment.source_url.removeprefix(CONTENT_URL_PREFIX))
    try:
        return media_store(
            attachment=attachment, headers=response.headers, chunks=response.stream(CHUNK),
            transport_errors=TRANSPORT_ERRORS,
        )
    finally:
        # Closed rather than returned to the pool: a refused download leaves unread bytes on it.
        response.close()
