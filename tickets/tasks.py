"""Celery tasks of the domain. Each takes ids, calls one service, owns its retry
policy, and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from tickets.services import delivery
from tickets.services.ingest import inbound_event_process_by_id
from tickets.services.presence import presence_sweep

logger = logging.getLogger(__name__)

MAX_SEND_RETRIES = 6


@shared_task(bind=True, max_retries=MAX_SEND_RETRIES, acks_late=True)
def deliver_message(self, message_id: int) -> None:
    final = self.request.retries >= self.max_retries
    try:
        delivery.message_deliver(message_id=message_id, final_attempt=final)
    except Exception as exc:
        # Exponential backoff: 10 s, 20 s, 40 s ... about 10 minutes in all.
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc


@shared_task(acks_late=True)
def sweep_interrupted_sends() -> None:
    delivery.delivery_sweep_interrupted()


@shared_task(acks_late=True)
def process_inbound_event(event_id: int) -> None:
    inbound_event_process_by_id(event_id=event_id)


@shared_task
def sweep_agent_presence() -> None:
    presence_sweep()


# Supervision: follow-ups of inbound messages, escalation rules, SLA breaches, surveys.
# The services they call are idempotent, so a retry or a second delivery is harmless.


@shared_task(bind=True, max_retries=5, acks_late=True)
def inbound_followups_batch(self, message_ids: list[int]) -> None:
    """The follow-ups of a batch of inbound messages, set-based. They are idempotent,
    so a batch redelivered after a worker died is harmless. A batch that fails goes
    again message by message, and only the messages whose follow-ups failed are retried."""
    from tickets.services.followups import inbound_followups

    try:
        inbound_followups(message_ids=message_ids)
        return
    except Exception:
        logger.info("follow-ups of %d messages go again one by one", len(message_ids), exc_info=True)
    failed: list[int] = []
    for message_id in message_ids:
        try:
            inbound_followups(message_ids=[message_id])
        except Exception:
            logger.exception("follow-ups of message %s failed", message_id)
            failed.append(message_id)
    if failed:
        raise self.retry(args=(failed,), countdown=5 * 2**self.request.retries)


@shared_task(acks_late=True)
def pipeline_sweep() -> None:
    """What the pipeline workers of the server processes may have left: accepted
    events, and outbox rows, for a deployment where no server process runs one."""
    from tickets.pipeline_worker import pipeline_pass

    while pipeline_pass() > 0:
        pass


@shared_task(acks_late=True)
def evaluate_escalation_rules(ticket_id: int, event: str) -> None:
    from tickets.services.escalation import escalation_evaluate

    escalation_evaluate(ticket_id=ticket_id, event=event)


@shared_task(acks_late=True)
def sweep_escalation_rules() -> None:
    from tickets.services.escalation import escalation_sweep

    escalation_sweep()


@shared_task(acks_late=True)
def sweep_sla_breaches() -> None:
    from tickets.services.sla import sla_sweep

    sla_sweep()


@shared_task(acks_late=True)
def fold_inbox_counters() -> None:
    from tickets.services.inbox_counters import inbox_counters_fold

    inbox_counters_fold()


@shared_task(bind=True, max_retries=3, acks_late=True)
def send_survey(self, ticket_id: int, resolution_number: int) -> None:
    from tickets.services.surveys import survey_send

    try:
        survey_send(ticket_id=ticket_id, resolution_number=resolution_number)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(acks_late=True)
def sweep_surveys_and_chat_sessions() -> None:
    from tickets.services.chat_sessions import chat_session_idle_sweep
    from tickets.services.surveys import survey_expire_sweep

    survey_expire_sweep()
    chat_session_idle_sweep()


@shared_task(acks_late=True)
def send_kpi_reports() -> None:
    from tickets.services.kpi_reports import kpi_reports_send

    kpi_reports_send()


@shared_task(acks_late=True)
def refresh_kpi_rollups() -> None:
    """The stale KPI days, and the FCR facts of the tickets resolved within the window
    (a contact that raced a resolution in another process)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from tickets.services.kpi_facts import kpi_facts_reconcile
    from tickets.services.kpi_rollups import kpi_rollups_refresh

    kpi_facts_reconcile(since=timezone.now() - timedelta(days=settings.FCR_WINDOW_DAYS + 1))
    kpi_rollups_refresh()


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt at an outbound webhook; the next one, if needed, is scheduled
    through the outbox by the service, so this task never retries itself."""
    from tickets.services.webhooks import webhook_deliver

    webhook_deliver(delivery_id=delivery_id)
