"""Short-lived signed URLs for the files of outbound messages, so that Twilio can
fetch them when it sends an MMS or WhatsApp media message. Only attachments of
outbound messages are served, and only with a valid, unexpired signature."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_GET

from tickets.models import Attachment, Direction

_SALT = "channels_app.twilio.public_media"
# Twilio fetches the media when it sends; a day leaves room for its own retries.
MAX_AGE_S = 24 * 3600


def public_media_url(attachment: Attachment) -> str:
    token = signing.dumps(attachment.pk, salt=_SALT, compress=True)
    return settings.HELPDESK_PUBLIC_URL + reverse("twilio:media", kwargs={"token": token})


@require_GET
def public_media(request: HttpRequest, token: str) -> FileResponse:
    try:
        attachment_id = signing.loads(token, salt=_SALT, max_age=MAX_AGE_S)
    except signing.BadSignature:
        raise Http404("no such media") from None
    attachment = Attachment.objects.filter(pk=attachment_id, message__direction=Direction.OUT).exclude(file="").first()
    if attachment is None:
        raise Http404("no such media")
    response = FileResponse(
        attachment.file.open("rb"), filename=attachment.filename, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
