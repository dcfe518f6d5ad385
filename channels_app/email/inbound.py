"""RFC 5322 bytes -> InboundMessage, and into the one pipeline.

The email package (policy.default) reads the MIME tree; when it raises on a
broken message the compat32 policy reads it again. Top-level headers are decoded
here from the raw bytes, so that an unknown charset, raw 8-bit text or a broken
encoded word never costs more than a replacement character."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message as MimeMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

import nh3
from django.conf import settings

from channels_app.email import attachments, quotes
from channels_app.email.charsets import decode_bytes, decode_header_bytes, decode_header_text
from tickets.inbound import InboundAttachment, InboundMessage
from tickets.models import Channel
from tickets.services.identities import InvalidAddress, normalize_email
from tickets.services.ingest import IngestResult, inbound_accept
from tickets.services.sanitize import ALLOWED_TAGS, html_to_text, sanitize_html, strip_control_chars

logger = logging.getLogger(__name__)

# A message that names no usable sender still becomes a contact an agent can read.
UNKNOWN_SENDER = "unknown-sender@invalid"
SYNTHETIC_ID_DOMAIN = "no-message-id.invalid"
MAX_NESTING = 4
MAX_ADDRESSES = 50
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_HEADER_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:(.*)$")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_INVISIBLE_TAGS = {"head", "title", "script", "style"}
_NEWLINES = re.compile(r"\r\n?|\r")
_CHARSET_PARAM = re.compile(rb"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_SIGNATURE_TYPES = {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
_STRUCTURE_HEADERS = {"from", "to", "cc", "subject", "date", "message-id", "received", "mime-version", "content-type"}

# Auto-replies, after RFC 3834 and what mail servers actually send.
_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply", "list"}
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|ooo\b|abwesenheit|"
    r"réponse automatique|respuesta automática|ตอบกลับอัตโนมัติ|ไม่อยู่ที่สำนักงาน|自動応答|自动回复|"
    r"away from (the )?office|on vacation|vacation reply)",
    re.IGNORECASE,
)
_QUOTED_MESSAGE_ID = re.compile(r"^[ \t]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|returned mail|delivery (status notification|failure|has failed)|mail delivery failed|"
    r"failure notice|could not be delivered)",
    re.IGNORECASE,
)


class NotAnEmail(ValueError):
    """The bytes are not an RFC 5322 message at all; a 400 at the edge."""


@dataclass
class _Body:
    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[InboundAttachment] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    # Delivery-status reports (RFC 3464): one dict of fields per recipient.
    dsn_recipients: list[dict[str, str]] = field(default_factory=list)
    dsn_message_ids: list[str] = field(default_factory=list)
    returned_message_ids: list[str] = field(default_factory=list)


# Headers ---------------------------------------------------------------------


def raw_headers(raw: bytes) -> dict[str, list[str]]:
    """The header fields of a message, decoded, by lower-case name. Raw 8-bit
    header text is read in the charset the message declares for its body, which
    is what the mail clients that send it do."""
    match = _HEAD_END.search(raw)
    head = raw[: match.start()] if match else raw
    fields: list[tuple[str, list[bytes]]] = []
    for line in head.splitlines():
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1].append(line)
            continue
        found = _HEADER_NAME.match(line)
        if found is None:
            # The mbox "From " line, or junk: not a header field.
            continue
        fields.append((found.group(1).decode("ascii").lower(), [found.group(2)]))
    charset = None
    for name, values in fields:
        if name == "content-type":
            declared = _CHARSET_PARAM.search(b" ".join(values))
            charset = declared.group(1).decode("ascii") if declared else None
    headers: dict[str, list[str]] = {}
    for name, values in fields:
        value = b" ".join(v.strip() for v in values)
        headers.setdefault(name, []).append(decode_header_bytes(value, fallback_charset=charset))
    return headers


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _normalized_id(value: str) -> str:
    found = message_ids(value)
    if found:
        return found[0]
    value = value.strip()
    return f"<{value}>" if value and " " not in value else ""


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    found = []
    for name, address in getaddresses(values):
        address = address.strip()
        if address:
            found.append((name.strip(), address))
    return found


def _usable(address: str) -> bool:
    try:
        normalize_email(address)
    except InvalidAddress:
        return False
    return True


def _sender(headers: dict[str, list[str]], envelope_sender: str) -> tuple[str, str]:
    """The customer's address and name: From, else Sender, Reply-To, the envelope."""
    display = ""
    for header in ("from", "sender", "reply-to", "return-path"):
        for name, address in _addresses(headers.get(header, [])):
            display = display or name
            if _usable(address):
                return address, name or display
    if envelope_sender and _usable(envelope_sender):
        return envelope_sender, display
    return UNKNOWN_SENDER, display


def _sent_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if sent is None:
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)


def auto_reply_reason(headers: dict[str, list[str]], subject: str) -> str:
    """Why this is an automatic message (RFC 3834 and the de-facto headers), or ""."""
    auto_submitted = _first(headers, "auto-submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated"):
        if name in headers:
            return name
    precedence = _first(headers, "precedence").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    # Exchange marks its out-of-office answers so that they do not answer each other.
    suppress = _first(headers, "x-auto-response-suppress").lower()
    if any(word in suppress for word in ("all", "oof", "autoreply")):
        return f"X-Auto-Response-Suppress: {suppress}"
    if _AUTO_SUBJECT.search(subject):
        return "subject"
    return ""


# MIME tree -------------------------------------------------------------------


def html_text(html: str) -> str:
    """The text of an HTML body. Cleaned by nh3 first, which drops the head, scripts
    and styles in linear time, so what is left cannot make the text conversion's
    regexes slow on a hostile body."""
    cleaned = nh3.clean(strip_control_chars(html), tags=ALLOWED_TAGS, attributes={}, clean_content_tags=_INVISIBLE_TAGS)
    return html_to_text(cleaned)


def _parse(raw: bytes, *, strict: bool) -> MimeMessage:
    return BytesParser(policy=policy.default if strict else policy.compat32).parsebytes(raw)


def _part_text(part: MimeMessage) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        if isinstance(payload, list):
            return ""
        payload = str(payload).encode("utf-8", "surrogateescape")
    try:
        charset = part.get_content_charset()
    except Exception:  # a malformed parameter list
        charset = None
    return decode_bytes(payload, charset)


def _filename(part: MimeMessage) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # a malformed RFC 2231 parameter
        name = ""
    if not name:
        try:
            name = part.get_param("name") or ""
        except Exception:
            name = ""
        if isinstance(name, tuple):  # RFC 2231 (charset, language, value) under compat32
            name = decode_bytes(name[2].encode("latin-1", "surrogateescape"), name[0])
    return decode_header_text(str(name))


def _header_str(part: MimeMessage, name: str) -> str:
    try:
        value = part.get(name)
    except Exception:
        return ""
    return decode_header_text(str(value)) if value is not None else ""


def _message_bytes(inner: MimeMessage) -> bytes:
    for writer in (lambda: inner.as_bytes(), lambda: inner.as_bytes(policy=policy.compat32)):
        try:
            return writer()
        except Exception:  # a message the generator cannot write back
            continue
    return str(inner).encode("utf-8", "surrogateescape")


def _forwarded(inner: MimeMessage, depth: int) -> tuple[InboundAttachment, str]:
    """A message/rfc822 part: kept whole as an .eml file, and its text made readable."""
    data = _message_bytes(inner)
    headers = raw_headers(data)
    subject = _first(headers, "subject")
    body = _Body()
    _walk(inner, body, depth=depth + 1)
    text = "\n\n".join(t for t in body.text if t.strip()) or html_text("\n".join(body.html))
    lines = ["---------- Forwarded message ----------"]
    for label, name in (("From", "from"), ("Date", "date"), ("Subject", "subject"), ("To", "to")):
        if _first(headers, name):
            lines.append(f"{label}: {_first(headers, name)}")
    summary = "\n".join(lines) + "\n\n" + text.strip()
    filename = (re.sub(r"[^\w\s.-]", "", subject).strip()[:80] or "forwarded message") + ".eml"
    return InboundAttachment(filename=filename, content_type="message/rfc822", content=data), summary


def _delivery_status(part: MimeMessage, body: _Body) -> None:
    """RFC 3464: a per-message block, then one block per recipient."""
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    if not blocks:
        # Some parsers leave the fields as text; read them as header blocks.
        text = _part_text(part).replace("\r\n", "\n")
        blocks = [raw_headers(chunk.encode("utf-8")) for chunk in text.split("\n\n") if chunk.strip()]
    for block in blocks:
        fields = (
            block if isinstance(block, dict) else {k.lower(): [decode_header_text(str(v))] for k, v in block.items()}
        )
        flat = {name: values[0] for name, values in fields.items() if values}
        for name in ("original-message-id", "x-original-message-id"):
            body.dsn_message_ids += message_ids(flat.get(name, ""))
        if "final-recipient" in flat or "action" in flat:
            body.dsn_recipients.append(flat)


def _walk(part: MimeMessage, body: _Body, *, depth: int = 0, in_report: bool = False) -> None:
    content_type = part.get_content_type()
    if content_type == "message/delivery-status":
        _delivery_status(part, body)
        return
    if content_type == "message/disposition-notification":  # a read receipt's fields
        return
    if part.is_multipart():
        children = [child for child in part.get_payload() if isinstance(child, MimeMessage)]
        if content_type.startswith("message/"):
            if not children:
                return
            inner = children[0]
            if in_report:
                body.returned_message_ids += message_ids(_header_str(inner, "message-id"))
            if depth >= MAX_NESTING:
                return
            attachment, summary = _forwarded(inner, depth)
            body.attachments.append(attachment)
            if not in_report:
                body.forwarded.append(summary)
            return
        report = content_type == "multipart/report"
        if content_type == "multipart/alternative":
            _walk_alternative(children, body, depth=depth, in_report=in_report)
            return
        for child in children:
            _walk(child, body, depth=depth, in_report=in_report or report)
        return

    if content_type.startswith("multipart/"):
        _walk_unsplit_multipart(part, body, depth=depth, in_report=in_report)
        return
    if content_type == "text/rfc822-headers":  # the returned message's headers, in a DSN
        returned = raw_headers(part.get_payload(decode=True) or b"")
        body.returned_message_ids += message_ids(_first(returned, "message-id"))
        return
    if content_type in _SIGNATURE_TYPES:
        return
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    filename = _filename(part)
    if content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        (body.text if content_type == "text/plain" else body.html).append(_part_text(part))
        return
    data = part.get_payload(decode=True)
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    content_id = _header_str(part, "content-id").strip().strip("<>")
    body.attachments.append(
        attachments.inbound_attachment(
            filename=filename,
            declared_type=content_type,
            data=data,
            content_id=content_id,
            wants_inline=disposition == "inline" or (disposition is None and bool(content_id)),
        )
    )


def _walk_unsplit_multipart(part: MimeMessage, body: _Body, *, depth: int, in_report: bool) -> None:
    """A multipart the parser could not split: a missing or wrong boundary parameter,
    or a transfer encoding on the multipart itself. Split it again on the boundary
    its body uses, else read it as text."""
    data = part.get_payload(decode=True) or b""
    found = re.search(rb"^--([^\s]{1,70}?)(--)?[ \t]*\r?$", data, re.MULTILINE)
    if found and depth < MAX_NESTING:
        boundary = found.group(1).decode("latin-1")
        head = f'Content-Type: {part.get_content_type()}; boundary="{boundary}"\r\n\r\n'.encode("latin-1")
        rebuilt = _parse(head + data, strict=False)
        if rebuilt.is_multipart():
            _walk(rebuilt, body, depth=depth + 1, in_report=in_report)
            return
    body.text.append(decode_bytes(data, None))


def _walk_alternative(children: list[MimeMessage], body: _Body, *, depth: int, in_report: bool) -> None:
    """The same content several ways: the text of the first that has text, the HTML
    of the last that has HTML (RFC 2046 §5.1.4: best last), the files of all."""
    versions = []
    for child in children:
        version = _Body()
        _walk(child, version, depth=depth, in_report=in_report)
        versions.append(version)
    with_text = [v for v in versions if any(t.strip() for t in v.text)]
    with_html = [v for v in versions if any(h.strip() for h in v.html)]
    if with_text:
        body.text += with_text[0].text
    if with_html:
        body.html += with_html[-1].html
    for version in versions:
        body.attachments += version.attachments
        body.forwarded += version.forwarded
        body.dsn_recipients += version.dsn_recipients
        body.dsn_message_ids += version.dsn_message_ids
        body.returned_message_ids += version.returned_message_ids


def _read_body(raw: bytes) -> tuple[_Body, str]:
    """The MIME tree under policy.default, else compat32, else the raw body as text."""
    for strict in (True, False):
        body = _Body()
        try:
            root = _parse(raw, strict=strict)
            _walk(root, body)
            return body, root.get_content_type()
        except Exception:
            logger.info(
                "could not read the MIME tree with %s", "policy.default" if strict else "compat32", exc_info=True
            )
    match = _HEAD_END.search(raw)
    return _Body(text=[decode_bytes(raw[match.end() :] if match else b"", None)]), "text/plain"


# The message -----------------------------------------------------------------


def _bounce(
    headers: dict[str, list[str]], body: _Body, content_type: str, sender: str, subject: str
) -> tuple[bool, bool, list[str], str]:
    """(is_bounce, is_notice, ids, reason): a delivery-status report (RFC 3464), or an
    older bounce that quotes the returned message in its text (qmail, Exchange)."""
    report_type = ""
    for value in headers.get("content-type", []):
        found = re.search(r"report-type\s*=\s*\"?([\w-]+)", value, re.IGNORECASE)
        report_type = found.group(1).lower() if found else report_type
    if content_type == "multipart/report" and report_type == "disposition-notification":
        # A read receipt (RFC 8098): automatic, and not a failure.
        return False, True, [], ""
    is_dsn = content_type == "multipart/report" and report_type in ("delivery-status", "")
    looks_returned = bool(_BOUNCE_SENDER.match(sender)) and bool(_BOUNCE_SUBJECT.search(subject))
    if not (is_dsn or body.dsn_recipients or looks_returned):
        return False, False, [], ""
    actions = {r.get("action", "").strip().lower() for r in body.dsn_recipients} - {""}
    if actions and "failed" not in actions:
        # "delayed" / "relayed" / "delivered": a notice, not a failure.
        return False, True, [], ""
    ids = list(dict.fromkeys(body.dsn_message_ids + body.returned_message_ids))
    if not ids and looks_returned:
        ids = list(dict.fromkeys(_QUOTED_MESSAGE_ID.findall("\n".join(body.text))))
    reasons = []
    for recipient in body.dsn_recipients:
        if recipient.get("action", "failed").strip().lower() != "failed":
            continue
        who = recipient.get("final-recipient", "").split(";")[-1].strip()
        why = recipient.get("diagnostic-code", "").split(";", 1)[-1].strip() or recipient.get("status", "")
        reasons.append(" ".join(f"{who}: {why}".strip(": ").split()))
    return True, False, ids, "; ".join(reasons)[:1000]


def _is_text(raw: bytes) -> bool:
    """Headerless input that is still a readable message body (a pasted mail), as
    opposed to binary data sent to the wrong place."""
    if b"\x00" in raw:
        return False
    sample = raw[:4096]
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 13))
    return controls / len(sample) < 0.02


def synthetic_message_id(raw: bytes) -> str:
    """For mail without a Message-ID: the same bytes redelivered get the same id."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@{SYNTHETIC_ID_DOMAIN}>"


def parse_email(raw: bytes, *, envelope_sender: str = "") -> InboundMessage:
    """An RFC 5322 message as the pipeline's InboundMessage. Never raises on content;
    raises NotAnEmail for bytes that carry no header fields at all."""
    if not raw or not raw.strip():
        raise NotAnEmail("the message is empty")
    headers = raw_headers(raw)
    if not _STRUCTURE_HEADERS & headers.keys() and not _is_text(raw):
        raise NotAnEmail("the body is not an RFC 5322 message: no header fields, and it is not text")
    subject = _first(headers, "subject")
    sender, sender_name = _sender(headers, envelope_sender)
    body, content_type = _read_body(raw)

    full_text = _NEWLINES.sub("\n", "\n\n".join(t.strip("\r\n") for t in body.text if t.strip()))
    html = "\n".join(h for h in body.html if h.strip())
    if not full_text and html:
        full_text = html_text(html)
    # What the pipeline keeps anyway; the quote parser's time grows with the text.
    full_text = full_text[: settings.HELPDESK_MAX_TEXT_CHARS]
    reply_text = full_text if quotes.is_forward(subject) else quotes.strip_quoted_text(full_text)
    quoted = quotes.has_less(reply_text, than=full_text)
    if not quoted:
        reply_text = full_text
    elif html:
        html = quotes.strip_quoted_html(html)
    text = "\n\n".join([reply_text.strip(), *body.forwarded]).strip()
    # Sanitized here already (the pipeline's pass is then a no-op): the pipeline's
    # text fallback for an HTML mail without words must never see a script tag.
    html = sanitize_html(html)

    is_bounce, delayed_notice, bounced_ids, bounce_reason = _bounce(headers, body, content_type, sender, subject)
    auto_reason = "delivery or read notice" if delayed_notice else auto_reply_reason(headers, subject)
    message_id = _normalized_id(_first(headers, "message-id"))
    in_reply_to = message_ids(_first(headers, "in-reply-to"))
    recipients = {
        name: [address for _, address in _addresses(headers.get(name, []))][:MAX_ADDRESSES] for name in ("to", "cc")
    }
    reply_to = [address for _, address in _addresses(headers.get("reply-to", []))][:1]
    email_meta = {
        "message_id": message_id,
        "from": sender,
        **recipients,
        "reply_to": reply_to[0] if reply_to else "",
        "references": message_ids(" ".join(headers.get("references", [])))[-50:],
        "in_reply_to": in_reply_to[0] if in_reply_to else "",
    }
    if sender == UNKNOWN_SENDER:
        email_meta["sender_missing"] = True
    if quoted:
        # The console's "show quoted text"; the raw message keeps everything else.
        email_meta["full_text"] = full_text[: settings.HELPDESK_MAX_TEXT_CHARS]
    if auto_reason:
        email_meta["auto_reply"] = auto_reason
    return InboundMessage(
        channel=Channel.EMAIL,
        external_id=message_id or synthetic_message_id(raw),
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        text=text,
        html=html,
        attachments=body.attachments,
        in_reply_to=email_meta["in_reply_to"],
        references=email_meta["references"],
        is_auto_reply=bool(auto_reason) or is_bounce,
        is_bounce=is_bounce,
        bounced_message_ids=bounced_ids,
        bounce_reason=bounce_reason,
        sent_at=_sent_at(_first(headers, "date")),
        language=_first(headers, "content-language").split(",")[0].split("-")[0].strip().lower()[:8],
        metadata={"email": email_meta},
    )


def email_ingest(*, raw: bytes, envelope_sender: str = "", source: str = "") -> IngestResult:
    """Every email source ends here: the webhook, IMAP, anymail's ESPs, the command.
    The mail is accepted (stored) and processed off the caller's path."""
    msg = parse_email(raw, envelope_sender=envelope_sender)
    if source:
        msg.metadata["email"]["source"] = source
    return inbound_accept(msg, raw=raw)
