"""Timeline entries as the ticket page shows them: each message row of
tickets.selectors.timeline with its markup pieces made here, once, so that the
template only places them (a page shows 30 entries, and every filter call and model
attribute lookup in the template loop is paid 30 times)."""

from __future__ import annotations

import html
import re
from datetime import datetime, tzinfo
from functools import lru_cache

from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from tickets.delivery_errors import delivery_error_explanation
from tickets.models import Channel, Message
from tickets.services.sanitize import sanitize_html
from tickets.templatetags.choice_labels import translated_labels
from tickets.templatetags.console_tags import channel_icon
from tickets.templatetags.thai_dates import time_element

_FAILED = ("failed", "undelivered")
# nh3 writes every attribute double-quoted with its value escaped, so after
# sanitizing, an image's cid: reference has exactly this shape.
_CID_SRC = re.compile(r'src="cid:([^"]*)"')


def message_body_html(markup: str, attachments: list[dict]) -> SafeString:
    """The message's sanitized HTML, with its inline images (src="cid:...") pointing
    at the stored attachments; a reference to nothing stays as it was (no image)."""
    markup = sanitize_html(markup or "")
    if "cid:" not in markup:
        return mark_safe(markup)  # noqa: S308 - the output of nh3
    urls = {
        attachment["content_id"]: reverse("console:inline-image", args=[attachment["id"]])
        for attachment in attachments
        if attachment["content_id"] and attachment["inline"] and attachment["file"]
    }

    def rewrite(match: re.Match[str]) -> str:
        url = urls.get(html.unescape(match.group(1)))
        return f'src="{escape(url)}"' if url else match.group(0)

    return mark_safe(_CID_SRC.sub(rewrite, markup))  # noqa: S308 - nh3's output, with our own URLs


def _author(row: dict) -> str:
    if row["direction"] == "in":
        return row["customer__name"] or gettext("Customer #%(id)s") % {"id": row["customer_id"]}
    if row["author_id"] is None:
        return gettext("Helpdesk")
    full_name = f"{row['author__first_name']} {row['author__last_name']}".strip()
    return full_name or row["author__username"]


# A message's time never changes: its markup is made once per language and time zone,
# and the page an agent reopens, or the entry the live page fetches, formats nothing again.
@lru_cache(maxsize=4096)
def _time_markup(created_at: datetime, language: str | None, zone: tzinfo) -> SafeString:
    return time_element(timezone.localtime(created_at, zone))


def _attachment(row: dict) -> dict:
    return {
        "url": reverse("tickets:attachment", args=[row["id"]]) if row["file"] else "",
        "filename": row["filename"],
        "size": filesizeformat(row["size"]),
    }


def timeline_entries(rows: list[dict], *, current_ticket_id: int | None) -> list[dict]:
    """The entries of these rows, in their order, for console/_timeline_page.html."""
    channel_labels = translated_labels(Message, "channel")
    delivery_labels = translated_labels(Message, "delivery_status")
    other_links: dict[int, SafeString] = {}
    language, zone = get_language(), timezone.get_current_timezone()
    entries = []
    for row in rows:
        direction, channel, ticket_id = row["direction"], row["channel"], row["ticket_id"]
        other_link = ""
        if current_ticket_id and ticket_id != current_ticket_id:
            if ticket_id not in other_links:
                label = gettext("on ticket #%(ref)s") % {"ref": ticket_id}
                url = reverse("console:ticket", args=[ticket_id])
                other_links[ticket_id] = format_html('<a class="cn-ref" href="{}">{}</a>', url, label)
            other_link = other_links[ticket_id]
        attachments = row["attachments"]
        if row["html"]:
            body = message_body_html(row["html"], attachments)
        else:
            body = linebreaksbr(row["text"], autoescape=True)
        metadata = row["metadata"]
        status = row["delivery_status"]
        entries.append(
            {
                "pk": row["id"],
                "direction": direction,
                "channel": channel,
                "other": bool(other_link),
                "other_link": other_link,
                "icon": channel_icon(channel, channel_labels.get(channel, channel)),
                "author": _author(row),
                "is_automatic": row["is_automatic"],
                "is_auto_reply": row["is_auto_reply"],
                "time": _time_markup(row["created_at"], language, zone),
                "subject": row["subject"] if channel == Channel.EMAIL and direction == "in" else "",
                "body": body,
                # An inline image shows in the body only, but the list is there (empty) all the same.
                "has_attachments": bool(attachments),
                "attachments": [_attachment(a) for a in attachments if not a["inline"] or not a["content_id"]],
                "rejection_note": metadata.get("rejection_note") if isinstance(metadata, dict) else None,
                "delivery_status": status,
                "delivery_label": delivery_labels.get(status, status),
                "delivery_failed": status in _FAILED,
                "delivery_error": row["delivery_error"],
                "delivery_error_code": row["delivery_error_code"],
                "delivery_error_text": delivery_error_explanation(
                    code=row["delivery_error_code"], stored=row["delivery_error"]
                ),
            }
        )
    return entries
