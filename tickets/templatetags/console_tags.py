"""Template helpers of the agent console."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from tickets.models import AgentProfile
from tickets.permissions import is_supervisor
from tickets.selectors.console import notifications_for
from tickets.services.sanitize import sanitize_html

register = template.Library()

# Inline, so the console needs no external assets; one per channel, SMS as the fallback.
_CHANNEL_SVGS = {
    "email": (
        '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1Zm1 2.4V17h16V7.4l-8 5.3-8-5.3ZM5.2 7 12 11.5 18.8 7H5.2Z"/></svg>'
    ),
    "chat": (
        '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2Zm0 2v10h2v2l2.5-2H20V6H4Z"/></svg>'
    ),
    "whatsapp": (
        '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M12 2a10 10 0 0 0-8.6 15.1L2 22l5-1.3A10 10 0 1 0 12 2Zm0 2a8 8 0 1 1-4.2 14.8l-.3-.2-2.7.7.7-2.6-.2-.3A8 8 0 0 1 12 4Zm-3.2 4c-.2 0-.5 0-.7.3-.3.3-1 1-1 2.3s1 2.7 1.2 2.9c.1.2 2 3.2 5 4.3 2.4.9 2.9.7 3.4.7.6-.1 1.7-.7 2-1.4.2-.7.2-1.2.1-1.4l-.4-.2-2-1c-.3-.1-.5-.2-.7.1l-.9 1.1c-.2.2-.3.2-.6.1-.3-.2-1.3-.5-2.4-1.5-.9-.8-1.5-1.8-1.7-2.1-.2-.3 0-.4.1-.6l.4-.5.3-.5v-.5l-.9-2.2c-.2-.6-.5-.5-.7-.5h-.5Z"/></svg>'
    ),
    "sms": (
        '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M7 2h10a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2Zm0 3v13h10V5H7Zm5 14.2a1 1 0 1 0 0 2 1 1 0 0 0 0-2Z"/></svg>'
    ),
    # A rounded speech bubble, as LINE's own mark is.
    "line": (
        '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.6 2 11c0 3.9 3.5 7.2 8.3 7.9.3.1.8.2.9.5.1.3.1.7 0 1l-.1.9c0 .3-.2 1 .9.5 1.1-.5 5.9-3.5 8-6C21.4 14.3 22 12.7 22 11c0-4.4-4.5-8-10-8Zm-5 5.8h1.2v4H10v1H7V8.8Zm4 0h1.2v5H11v-5Zm2.2 0h1.1l1.9 2.8V8.8h1.2v5h-1.1l-1.9-2.8v2.8h-1.2v-5Z"/></svg>'
    ),
    # A speech bubble with a lightning stroke.
    "messenger": (
        '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M12 2C6.4 2 2 6.1 2 11.7c0 2.9 1.2 5.5 3.2 7.2V22l3-1.7c1.2.3 2.4.5 3.8.5 5.6 0 10-4.1 10-9.7S17.6 2 12 2Zm1 12.6-2.6-2.7-5 2.7 5.5-5.8 2.6 2.7 4.9-2.7-5.4 5.8Z"/></svg>'
    ),
    # A camera in a rounded square.
    "instagram": (
        '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M7.5 2h9A5.5 5.5 0 0 1 22 7.5v9a5.5 5.5 0 0 1-5.5 5.5h-9A5.5 5.5 0 0 1 2 16.5v-9A5.5 5.5 0 0 1 7.5 2Zm0 2A3.5 3.5 0 0 0 4 7.5v9A3.5 3.5 0 0 0 7.5 20h9a3.5 3.5 0 0 0 3.5-3.5v-9A3.5 3.5 0 0 0 16.5 4h-9ZM12 7a5 5 0 1 1 0 10 5 5 0 0 1 0-10Zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6Zm5.3-3.3a1 1 0 1 1 0 2 1 1 0 0 1 0-2Z"/></svg>'
    ),
}


@register.simple_tag
def console_bell(user) -> dict:
    """The latest notifications with their tickets' links (one URL reversal for the
    page, not one per notification), and the number unread."""
    latest, unread = notifications_for(user=user)
    url_start, url_end = reverse("console:ticket", args=[0]).rsplit("0", 1)
    entries = [(n, f"{url_start}{n.ticket_id}{url_end}" if n.ticket_id else "") for n in latest]
    return {"entries": entries, "unread": unread}


@register.simple_tag
def console_presence(user) -> str:
    # The profile is cached on the user, so a page that read it already asks no more.
    profile = getattr(user, "agent_profile", None)
    return (profile and profile.presence) or AgentProfile.Presence.OFFLINE


@register.filter
def supervises(user) -> bool:
    return is_supervisor(user)


@register.filter
def sanitized_html(value: str) -> SafeString:
    """Message.html is sanitized when stored; it is sanitized again here so that the
    one piece of customer markup the console renders can never carry a script,
    whatever path wrote it."""
    return mark_safe(sanitize_html(value or ""))  # noqa: S308 - the output of nh3


@register.simple_tag
def channel_icon(channel: str, label: str) -> SafeString:
    """A channel's round icon, labelled for screen readers; one template include per
    row would cost more than the rest of the row."""
    return _channel_icon(channel, str(label))


# A few channels in a few languages: the markup is built once for each.
@lru_cache(maxsize=64)
def _channel_icon(channel: str, label: str) -> SafeString:
    svg = mark_safe(_CHANNEL_SVGS.get(channel, _CHANNEL_SVGS["sms"]))  # noqa: S308 - constants above
    return format_html(
        '<span class="cn-ch cn-ch-{}" title="{}" aria-label="{}" role="img">{}</span>', channel, label, label, svg
    )
