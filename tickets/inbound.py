"""The InboundMessage that every channel adapter produces, and nothing else.

The domain never sees a MIME part or a Twilio parameter: an adapter turns its wire
format into this, and `tickets.services.ingest.ingest` takes it from there."""

from __future__ import annotations

import base64
import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(kw_only=True)
class InboundAttachment:
    filename: str
    content_type: str
    # The bytes, or None when the provider hosts the file and it is fetched later.
    content: bytes | None = None
    source_url: str = ""
    content_id: str = ""
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content) if self.content is not None else 0


@dataclass(kw_only=True)
class InboundMessage:
    channel: str
    # The provider's id, the deduplication key: email Message-ID, Twilio MessageSid, chat uuid.
    external_id: str
    # The sender's address as the wire gave it: "Mixed@Example.com", "+66 81 234 5678",
    # "whatsapp:+66812345678", "chat:<visitor id>".
    sender: str
    sender_name: str = ""
    # Further addresses the sender gave (a chat pre-form's email or phone), unverified.
    sender_extra_addresses: list[str] = field(default_factory=list)
    subject: str = ""
    text: str = ""
    # Unsanitized HTML as received; the pipeline sanitizes it.
    html: str = ""
    attachments: list[InboundAttachment] = field(default_factory=list)
    # Email threading.
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    # Out-of-office replies and other automatic mail: never reopen a ticket.
    is_auto_reply: bool = False
    # A delivery-status report: marks the outbound messages it names as failed.
    is_bounce: bool = False
    bounced_message_ids: list[str] = field(default_factory=list)
    bounce_reason: str = ""
    sent_at: datetime | None = None
    language: str = ""
    # A ticket the adapter already knows (a chat session's ticket, a portal reply).
    ticket_id: int | None = None
    # A customer the adapter already authenticated (a portal session).
    customer_id: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """JSON-safe form, stored on the InboundEvent so the message can be replayed."""
        # What dataclasses.asdict gives, built field by field: asdict deep-copies every
        # string, which cost more than storing the event.
        data = {name: getattr(self, name) for name in _MESSAGE_FIELDS}
        data["sender_extra_addresses"] = list(self.sender_extra_addresses)
        data["references"] = list(self.references)
        data["bounced_message_ids"] = list(self.bounced_message_ids)
        data["metadata"] = copy.deepcopy(self.metadata) if self.metadata else {}
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        data["attachments"] = [
            {name: getattr(attachment, name) for name in _ATTACHMENT_FIELDS}
            | {"content": base64.b64encode(attachment.content).decode("ascii") if attachment.content is not None else None}
            for attachment in self.attachments
        ]
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> InboundMessage:
        data = dict(data)
        attachments = []
        for item in data.pop("attachments", []):
            item = dict(item)
            if item.get("content") is not None:
                item["content"] = base64.b64decode(item["content"])
            attachments.append(InboundAttachment(**item))
        sent_at = data.pop("sent_at", None)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(
            **{k: v for k, v in data.items() if k in known},
            attachments=attachments,
            sent_at=datetime.fromisoformat(sent_at) if sent_at else None,
        )


_MESSAGE_FIELDS = tuple(f.name for f in dataclasses.fields(InboundMessage))
_ATTACHMENT_FIELDS = tuple(f.name for f in dataclasses.fields(InboundAttachment))
