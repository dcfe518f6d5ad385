"""Periodic knowledge-base work, run by Celery beat."""

from __future__ import annotations

from celery import shared_task

from kb.services import DEFLECTION_AFTER_MINUTES
from kb.services import deflection_sweep as deflection_sweep_service


@shared_task(acks_late=True)
def deflection_sweep(older_than_minutes: int = DEFLECTION_AFTER_MINUTES) -> int:
    """Viewed suggestions without a request N minutes later count as deflected. Safe to
    run twice and from several workers: it only ever moves 'viewed' rows forward."""
    return deflection_sweep_service(older_than_minutes=older_than_minutes)
