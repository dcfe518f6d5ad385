"""Celery tasks of the live chat. They take plain values and are safe to run twice."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from channels_app.chat.session import session_from_token
from channels_app.chat.transcript import transcript_email_send
from channels_app.chat.verify import claim_code_email_send


@shared_task(bind=True, max_retries=5, acks_late=True)
def chat_transcript_send(self, *, ticket_id: int, token: str, request_id: str) -> bool:
    session = session_from_token(token)
    if session is None:
        return False
    try:
        return transcript_email_send(ticket_id=ticket_id, session=session, request_id=request_id)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(bind=True, max_retries=5, acks_late=True)
def send_claim_code(self, *, claim_id: int, language: str = "") -> bool:
    """A run again sends a new code, which replaces the first: the visitor types the latest."""
    try:
        return claim_code_email_send(claim_id=claim_id, language=language)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
