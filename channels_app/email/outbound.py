"""Sending an outbound email Message through Django's email framework (SMTP, or an
ESP through anymail's backends, by EMAIL_BACKEND).

Each mail carries a Message-ID derived from the message's idempotency key, so a
retry after a crash sends the same Message-ID and the customer's client shows one
mail; In-Reply-To/References of the customer's last mail and the "[HD-123]" token
in the subject, so the answer threads back into the ticket."""

from __future__ import annotations

import re
import smtplib
from email.utils import formataddr, parseaddr

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from channels_app.email.inbound import SYNTHETIC_ID_DOMAIN
from tickets.models import Channel, ContactIdentity, Direction, IdentityClaim, Message
from tickets.registry import PermanentSendError, SendResult, TransientSendError
from tickets.services.tickets import subject_token

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|ตอบกลับ)\s*:\s*)+", re.IGNORECASE)
MAX_REFERENCES = 20


def _from_address() -> tuple[str, str]:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name, address or settings.DEFAULT_FROM_EMAIL


def outbound_message_id(message: Message) -> str:
    """Stable across retries: the same message always gets the same Message-ID."""
    domain = _from_address()[1].rpartition("@")[2] or "localhost"
    return f"<{message.idempotency_key.hex}@{domain}>"


def _from_header(message: Message) -> str:
    team_name, address = _from_address()
    author = message.author
    agent = (author.get_full_name() or author.get_username()) if author is not None else ""
    if agent and not message.is_automatic:
        display = f"{agent} ({team_name})" if team_name else agent
    else:
        display = team_name
    return formataddr((display, address)) if display else address


def _last_inbound(message: Message) -> Message | None:
    return (
        Message.objects.filter(
            ticket_id=message.ticket_id, channel=Channel.EMAIL, direction=Direction.IN, is_auto_reply=False
        )
        .order_by("-created_at", "-id")
        .only("external_id", "metadata", "subject")
        .first()
    )


def _deliverable(address: str) -> bool:
    # RFC 2606: nothing under .invalid receives mail (the placeholder of sender-less mail).
    domain = address.rpartition("@")[2].lower()
    return bool(address) and domain != "invalid" and not domain.endswith(".invalid")


def _recipient(message: Message, last_inbound: Message | None) -> str:
    if last_inbound is not None:
        address = (last_inbound.metadata or {}).get("email", {}).get("from", "")
        if _deliverable(address):
            return address
    addresses = ContactIdentity.objects.filter(
        customer_id=message.customer_id, kind=ContactIdentity.Kind.EMAIL
    ).order_by("-created_at")
    for address in addresses.values_list("address", flat=True)[:20]:
        if _deliverable(address):
            return address
    # A chat visitor's claimed email (the offline form's "answer me by email").
    claimed = IdentityClaim.objects.filter(customer_id=message.customer_id, kind=ContactIdentity.Kind.EMAIL)
    for address in claimed.order_by("-created_at").values_list("address", flat=True)[:20]:
        if _deliverable(address):
            return address
    raise PermanentSendError("the customer has no email address", code="no_address")


def _threading_headers(last_inbound: Message | None) -> dict[str, str]:
    """RFC 5322 §3.6.4: In-Reply-To names the parent, References the whole thread."""
    if last_inbound is None or not last_inbound.external_id:
        return {}
    parent = last_inbound.external_id
    if parent.endswith(f"@{SYNTHETIC_ID_DOMAIN}>"):
        return {}
    earlier = (last_inbound.metadata or {}).get("email", {}).get("references", [])
    references = [ref for ref in earlier if ref != parent][-(MAX_REFERENCES - 1) :] + [parent]
    return {"In-Reply-To": parent, "References": " ".join(references)}


def outbound_subject(message: Message, *, replying: bool) -> str:
    ticket = message.ticket
    subject = _REPLY_PREFIX.sub("", message.subject or ticket.subject or "").strip()
    token = subject_token(ticket)
    if token.lower() not in subject.lower():
        subject = f"{subject} {token}".strip()
    return f"Re: {subject}" if replying else subject


def email_build(message: Message) -> EmailMultiAlternatives:
    last_inbound = _last_inbound(message)
    message_id = outbound_message_id(message)
    mail = EmailMultiAlternatives(
        subject=outbound_subject(message, replying=last_inbound is not None),
        body=message.text,
        from_email=_from_header(message),
        to=[_recipient(message, last_inbound)],
        headers={
            "Message-ID": message_id,
            **_threading_headers(last_inbound),
            # RFC 3834 §5: a human's reply, not an automatic one; ask for no auto-replies to automatic ones.
            "Auto-Submitted": "auto-generated" if message.is_automatic else "no",
        },
    )
    if message.html:
        mail.attach_alternative(message.html, "text/html")
    for attachment in message.attachments.all():
        if not attachment.file:
            continue
        with attachment.file.open("rb") as handle:
            mail.attach(attachment.filename, handle.read(), attachment.content_type or "application/octet-stream")
    return mail


def _smtp_error(exc: smtplib.SMTPException) -> Exception:
    """4xx and lost connections are worth a retry; 5xx refusals are not (RFC 5321 §4.2.1)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(
            f"{rcpt}: {code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
            for rcpt, (code, reply) in exc.recipients.items()
        )
        code = str(codes[0]) if codes else ""
        if codes and all(500 <= c < 600 for c in codes):
            return PermanentSendError(f"the recipient was refused: {detail}", code=code)
        return TransientSendError(f"the recipient was not accepted for now: {detail}", code=code)
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        text = f"the mail server answered {exc.smtp_code} {reply}"
        if 500 <= exc.smtp_code < 600:
            return PermanentSendError(text, code=str(exc.smtp_code))
        return TransientSendError(text, code=str(exc.smtp_code))
    return TransientSendError(f"the mail server could not be reached: {exc}", code="smtp")


def email_send(message: Message) -> SendResult:
    """The email channel's sender for tickets.registry."""
    mail = email_build(message)
    try:
        with get_connection(fail_silently=False) as connection:
            mail.connection = connection
            sent = mail.send()
    except smtplib.SMTPException as exc:
        raise _smtp_error(exc) from exc
    except OSError as exc:  # refused, reset, timed out
        raise TransientSendError(f"the mail server could not be reached: {exc}", code="connection") from exc
    except AnymailRecipientsRefused as exc:
        raise PermanentSendError(str(exc), code="refused") from exc
    except AnymailAPIError as exc:
        status = exc.status_code or 0
        error = TransientSendError if status == 429 or status >= 500 or status == 0 else PermanentSendError
        raise error(str(exc), code=str(status or "esp")) from exc
    except AnymailError as exc:
        raise PermanentSendError(str(exc), code="esp") from exc
    if not sent:
        raise PermanentSendError("the mail backend sent nothing", code="not_sent")
    # The dev outbox is the mailbox itself: what it took is delivered.
    status = "delivered" if getattr(connection, "delivers_locally", False) else "sent"
    return SendResult(external_id=mail.extra_headers["Message-ID"], status=status)
