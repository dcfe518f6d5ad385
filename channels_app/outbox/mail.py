"""An email backend that delivers to the dev outbox: the default EMAIL_BACKEND while
no mail server is configured (EMAIL_HOST unset)."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from channels_app.models import DevOutboxMessage
from channels_app.outbox.store import dev_outbox_record


def _attachments(mail: EmailMessage) -> list[dict]:
    found = []
    for attachment in mail.attachments:
        if isinstance(attachment, tuple):  # (filename, content, mimetype)
            filename, content, mimetype = attachment
        else:  # a MIMEBase part
            filename = attachment.get_filename() or ""
            content = attachment.get_payload(decode=True) or b""
            mimetype = attachment.get_content_type()
        found.append({"filename": filename or "", "content_type": mimetype or "", "size": len(content or b"")})
    return found


def _html(mail: EmailMessage) -> str:
    for content, mimetype in getattr(mail, "alternatives", []):
        if mimetype == "text/html":
            return str(content)
    return str(mail.body) if mail.content_subtype == "html" else ""


class EmailBackend(BaseEmailBackend):
    # email_send records a mail that this backend took as delivered, not only sent.
    delivers_locally = True

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        count = 0
        for mail in email_messages:
            recipients = mail.recipients()
            if not recipients:
                continue
            html = _html(mail)
            dev_outbox_record(
                channel=DevOutboxMessage.Channel.EMAIL,
                sender=str(mail.from_email or ""),
                recipients=recipients,
                subject=str(mail.subject or ""),
                text="" if mail.content_subtype == "html" else str(mail.body or ""),
                html=html,
                attachments=_attachments(mail),
                external_id=str(mail.extra_headers.get("Message-ID", "")),
            )
            count += 1
        return count
