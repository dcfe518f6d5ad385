"""The transactional outbox: Celery tasks that a change asks for are rows written in
the change's transaction, and a relay hands them to the broker after the commit.

A row lives until its task has run. Handing it to the broker takes a lease on it;
the worker deletes it when the task succeeds. A broker outage (the hand-over
refused) or a broker that lost its queue on restart (the lease runs out) therefore
delays the work and never loses it; the tasks are idempotent, so a task handed over
twice does its work once. Rows of a batched task go out together as one task call,
so that follow-ups run in batches.

The relay runs right after the commit that wrote the rows (in the process's
pipeline worker, or inline where Celery runs eagerly), and from every process's
pipeline worker loop and Celery beat for what is left over."""

from __future__ import annotations

import importlib
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from celery import current_app
from celery.signals import task_success
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tickets import pipeline_worker
from tickets.models import OutboxItem

logger = logging.getLogger(__name__)

RELAY_BATCH = 500
# The largest list a batched task gets in one call.
TASK_BATCH = 100
# After the broker refused a hand-over (it is down): the next try.
REFUSED_RETRY_S = 2
# A lease doubles with each hand-over of the same row, up to this.
MAX_LEASE_S = 6 * 3600
HEADER = "outbox_ids"

# Inside `outbox_batch`, the rows asked for so far, not yet written.
_batched_rows: ContextVar[list[OutboxItem] | None] = ContextVar("outbox_batched_rows", default=None)


def outbox_task(task: str, *args: Any, countdown: float = 0, batched: bool = False) -> None:
    """Asks for `task(*args)` once the current transaction commits. A batched task
    takes one argument and is called with a list of them."""
    if batched and len(args) != 1:
        raise ValueError("a batched task takes exactly one argument")
    outbox_tasks(task, [list(args)], countdown=countdown, batched=batched)


def outbox_tasks(task: str, calls: list[list[Any]], *, countdown: float = 0, batched: bool = False) -> None:
    """`outbox_task` for many calls of one task (their argument lists), in one INSERT."""
    if not calls:
        return
    now = timezone.now()
    # Eager Celery ignores countdowns; so does the outbox that feeds it.
    delay = 0 if current_app.conf.task_always_eager else countdown
    rows = [
        OutboxItem(task=task, args=args, batched=batched, created_at=now, available_at=now + timedelta(seconds=delay))
        for args in calls
    ]
    pending = _batched_rows.get()
    if pending is not None:
        pending.extend(rows)
        return
    _rows_write(rows)


def outbox_batched_calls(task: str, items: list[Any]) -> None:
    """A batched task for many items asked for at once: a row per call of at most
    TASK_BATCH items, where `outbox_task(..., batched=True)` writes a row per item for
    the relay to gather. A batch of inbound messages pays one or two rows, not one
    row to write, lease and delete per message."""
    outbox_tasks(task, [[chunk] for chunk in _chunks(items, TASK_BATCH)])


@contextmanager
def outbox_batch() -> Iterator[None]:
    """The rows asked for inside are written together when it ends, in one INSERT: a
    change that asks for several tasks (a reply's delivery, its escalation check, the
    webhooks) pays one statement. Use it inside the change's transaction; a block that
    raises writes nothing, as its transaction is rolled back anyway."""
    if _batched_rows.get() is not None:  # an enclosing batch writes them
        yield
        return
    rows: list[OutboxItem] = []
    token = _batched_rows.set(rows)
    try:
        yield
    finally:
        _batched_rows.reset(token)
    _rows_write(rows)


def _rows_write(rows: list[OutboxItem]) -> None:
    if not rows:
        return
    OutboxItem.objects.bulk_create(rows)
    if current_app.conf.task_always_eager:
        # No broker: the tasks run in this process once the change commits, as
        # Celery's eager mode runs them; what an earlier change left is the sweep's.
        transaction.on_commit(lambda: outbox_relay(ids=[row.pk for row in rows]))
    else:
        pipeline_worker.wake_after_commit()


def outbox_relay(*, limit: int = RELAY_BATCH, ids: list[int] | None = None) -> int:
    """Hands the due rows (or only these) to the broker; returns how many went out.
    Safe in several processes at once: each row is locked by one relay (SKIP LOCKED)."""
    sent = 0
    while True:
        eager_calls: list[tuple[str, list]] = []
        with transaction.atomic():
            due = OutboxItem.objects.select_for_update(skip_locked=True).filter(available_at__lte=timezone.now())
            if ids is not None:
                due = due.filter(pk__in=ids)
            rows = list(due.order_by("available_at", "id")[:limit])
            if not rows:
                return sent
            handed, refused, error = _hand_over(rows, eager_calls)
            if eager_calls:
                OutboxItem.objects.filter(pk__in=[row.pk for row in handed]).delete()
            else:
                _lease(handed)
            if refused:
                OutboxItem.objects.filter(pk__in=[row.pk for row in refused]).update(
                    available_at=timezone.now() + timedelta(seconds=REFUSED_RETRY_S), last_error=error[:2000]
                )
        # Where Celery runs eagerly, the tasks run here, after the rows are gone: in
        # their own transactions, as a worker would run them.
        for task_name, args in eager_calls:
            _task(task_name).apply(args=args)
        sent += len(handed)
        if refused or len(rows) < limit:
            return sent


def _hand_over(
    rows: list[OutboxItem], eager_calls: list[tuple[str, list]]
) -> tuple[list[OutboxItem], list[OutboxItem], str]:
    """Sends the rows' tasks; stops at the first refusal (the broker is down)."""
    calls: dict[str, list[OutboxItem]] = defaultdict(list)
    singles: list[list[OutboxItem]] = []
    for row in rows:
        if row.batched:
            calls[row.task].append(row)
        else:
            singles.append([row])
    groups = [chunk for batch in calls.values() for chunk in _chunks(batch, TASK_BATCH)] + singles
    handed: list[OutboxItem] = []
    for index, group in enumerate(groups):
        head = group[0]
        args = [[row.args[0] for row in group]] if head.batched else head.args
        if current_app.conf.task_always_eager:
            eager_calls.append((head.task, args))
            handed.extend(group)
            continue
        try:
            # No retries inside the call: a refused hand-over leaves the rows for the
            # next pass, where a blocked relay would hold up everything behind it.
            _task(head.task).apply_async(args=args, headers={HEADER: [row.pk for row in group]}, retry=False)
        except Exception as exc:  # the broker refused or is unreachable
            waiting = len(rows) - len(handed)
            logger.warning("outbox: the broker refused %s (%s); %d tasks wait for it", head.task, exc, waiting)
            return handed, [row for rest in groups[index:] for row in rest], f"{type(exc).__name__}: {exc}"
        handed.extend(group)
    return handed, [], ""


def _lease(rows: list[OutboxItem]) -> None:
    """Rows handed over come due again when their lease runs out, unless their task
    succeeded first (and deleted them)."""
    base = settings.HELPDESK_OUTBOX_LEASE_S
    now = timezone.now()
    for attempts in sorted({row.attempts for row in rows}):
        lease = min(MAX_LEASE_S, base * 2**attempts)
        OutboxItem.objects.filter(pk__in=[row.pk for row in rows if row.attempts == attempts]).update(
            attempts=F("attempts") + 1, available_at=now + timedelta(seconds=lease)
        )


@task_success.connect(dispatch_uid="helpdesk-outbox-task-success")
def _task_succeeded(sender=None, **kwargs) -> None:
    # Custom headers of a task message are attributes of its request (protocol 2).
    request = getattr(sender, "request", None)
    ids = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    if ids:
        OutboxItem.objects.filter(pk__in=ids).delete()


def _task(name: str):
    """The registered task; its module is imported first where no worker has imported
    the project's task modules (a server process)."""
    if name not in current_app.tasks:
        importlib.import_module(name.rsplit(".", 1)[0])
    return current_app.tasks[name]


def _chunks(rows: list, size: int) -> list[list]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]
