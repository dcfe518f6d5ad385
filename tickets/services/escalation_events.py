"""Queues the evaluation of the escalation rules in the outbox of the change that
calls for it. Apart from escalation.py, because that module imports the services
that call this one."""

from __future__ import annotations

from tickets.services.outbox import outbox_task


def escalation_enqueue(*, ticket_id: int, event: str) -> None:
    outbox_task("tickets.tasks.evaluate_escalation_rules", ticket_id, event)
