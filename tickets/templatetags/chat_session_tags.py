"""The ticket page's live chat session, for the agent's "End the chat" button."""

from __future__ import annotations

from django import template

from tickets.models import ChatSessionLog

register = template.Library()


@register.simple_tag
def live_chat_session(ticket_id: int) -> ChatSessionLog | None:
    return ChatSessionLog.objects.filter(ticket_id=ticket_id, ended_at__isnull=True).first()
