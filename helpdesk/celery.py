"""The Celery app. Tasks live in each app's tasks.py and are discovered."""

import os

from celery import Celery
from celery.signals import (
    beat_init,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_default_secrets(**kwargs) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from helpdesk.secrets import refuse_default_secrets

    try:
        refuse_default_secrets()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows a receiver's exception: SystemExit really stops it.
        raise SystemExit(str(exc)) from exc


@worker_process_shutdown.connect
def _flush_realtime_events(**kwargs) -> None:
    # A prefork pool child leaves through os._exit, which skips atexit: the events
    # of its last tasks would be lost when the pool recycles it.
    from tickets import events

    events.flush_pending_events()


@task_prerun.connect
@task_postrun.connect
def _return_connections(sender=None, **kwargs) -> None:
    # As Django's request cycle does: a task's connection goes back to the pool when it
    # ends, and a broken one is dropped. Celery's own closing is off (CELERY_DB_REUSE_MAX).
    # An eager task runs inside its caller's transaction, whose connection stays.
    if getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect
def _pipeline_worker_in_each_child(**kwargs) -> None:
    # Connected now, after Celery's Django fixup connected its own handler, so that a
    # new pool child first drops the connections and the pool it inherited and only
    # then starts the thread: started first, the thread found its pool closed under it.
    worker_process_init.connect(_start_pipeline_worker, weak=False)


def _start_pipeline_worker(**kwargs) -> None:
    # Workers process accepted inbound events and relay the outbox too, so that the
    # work goes on with no server process running.
    from tickets import pipeline_worker

    pipeline_worker.start()
