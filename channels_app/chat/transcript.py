"""The chat transcript, emailed to the customer on request."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from channels_app.chat.session import ChatSession, session_customer, session_history
from tickets.models import Ticket

# How long a request id is remembered, so that a retried or doubled request sends once.
SENT_TTL_S = 30 * 24 * 3600
LOCK_TTL_S = 300


def transcript_email_send(*, ticket_id: int, session: ChatSession, request_id: str) -> bool:
    """Sends the conversation the visitor saw to the visitor's email address.
    Idempotent per request id; returns False when this request was already served."""
    sent_key, lock_key = f"chat-transcript:{request_id}", f"chat-transcript-lock:{request_id}"
    if cache.get(sent_key) or not cache.add(lock_key, 1, timeout=LOCK_TTL_S):
        return False
    try:
        customer = session_customer(session)
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if customer is None or ticket is None or not session.email:
            return False
        history = [
            {**frame, "when": datetime.fromisoformat(frame["created_at"])}
            for frame in session_history(session=session, customer=customer, ticket=ticket)
        ]
        with translation.override(customer.language or settings.LANGUAGE_CODE):
            context = {"ticket": ticket, "customer": customer, "messages": history}
            subject = _("Your chat with us [%(reference)s]") % {"reference": ticket.reference}
            email = EmailMultiAlternatives(
                subject=subject,
                body=render_to_string("chat/transcript_email.txt", context),
                to=[session.email],
                headers={"X-Helpdesk-Transcript": request_id},
            )
            email.attach_alternative(render_to_string("chat/transcript_email.html", context), "text/html")
        email.send()
        cache.set(sent_key, 1, timeout=SENT_TTL_S)
        return True
    finally:
        cache.delete(lock_key)
