"""Periodic knowledge-base work, run by Celery beat."""

from __future__ import annotations

from celery import shared_task

from kb.portal.auth import signin_code_issue_and_send
from kb.services import DEFLECTION_AFTER_MINUTES
from kb.services import deflection_sweep as deflection_sweep_service


@shared_task(acks_late=True)
def deflection_sweep(older_than_minutes: int = DEFLECTION_AFTER_MINUTES) -> int:
    """Viewed suggestions without a request N minutes later count as deflected. Safe to
    run twice and from several workers: it only ever moves 'viewed' rows forward."""
    return deflection_sweep_service(older_than_minutes=older_than_minutes)


@shared_task(bind=True, max_retries=3, acks_late=True)
def portal_signin_code_send(self, *, customer_id: int, phone: str, language: str) -> None:
    """A run again sends a new code, which replaces the first: the customer types the latest."""
    try:
        signin_code_issue_and_send(customer_id=customer_id, phone=phone, language=language)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc
