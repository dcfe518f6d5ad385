"""Queues the evaluation of the escalation rules once a change commits. Apart from
escalation.py, because that module imports the services that call this one."""

from __future__ import annotations

from django.db import transaction


def escalation_enqueue(*, ticket_id: int, event: str) -> None:
    from tickets.tasks import evaluate_escalation_rules

    transaction.on_commit(lambda: evaluate_escalation_rules.delay(ticket_id, event))
