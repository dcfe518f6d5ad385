"""Celery: Redis as broker when REDIS_URL is set, otherwise tasks run eagerly in-process."""

from .base import REDIS_URL
from .env import env_bool, env_int, env_str

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
# Without a broker, an agent's reply is sent by a thread of the server process, so
# that a slow or unreachable provider never holds the request.
HELPDESK_SEND_IN_BACKGROUND = env_bool("HELPDESK_SEND_IN_BACKGROUND", CELERY_TASK_ALWAYS_EAGER)
# Redis redelivers a task that no worker acknowledged within this time (its worker
# died): longer than the longest countdown (Twilio's lost-answer lookups, 40 min), or
# a task waiting for its time would be delivered twice meanwhile. Crash recovery does
# not wait for it: sends have a lease and a sweep, accepted events their own sweep.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 2 * 3600)}
# How long a worker owns a send it claimed (tickets.services.delivery); past it, the
# sweep below settles the send. Longer than any send takes.
HELPDESK_SEND_LEASE_S = env_int("HELPDESK_SEND_LEASE_S", 300)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database before and after every task unless told
# to reuse it, and in a prefork child that closes psycopg's whole pool: two new
# PostgreSQL connections per task, and a closed pool under the child's pipeline
# worker. So it is told never to; helpdesk/celery.py hands a task's connection back to
# the pool when the task ends, as Django does at the end of a request.
CELERY_DB_REUSE_MAX = 2**62
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Bangkok"
# A task handed to the broker from the outbox is handed over again when it has not
# run within this lease (doubling each time): a Redis that restarted empty loses a
# queue, never the work.
HELPDESK_OUTBOX_LEASE_S = env_int("HELPDESK_OUTBOX_LEASE_S", 300)
# Whether the server processes process accepted inbound events and relay the outbox
# (tickets.pipeline_worker). Off, they only accept and wake the Celery workers, which
# always do, through PostgreSQL's NOTIFY: the requests no longer share a process with
# the batches. On by default, so that servers with no Celery worker beside them work.
HELPDESK_PIPELINE_IN_SERVERS = env_bool("HELPDESK_PIPELINE_IN_SERVERS", True)
CELERY_BEAT_SCHEDULE: dict = {
    # Accepted inbound events and outbox rows that no pipeline worker took (none runs).
    "pipeline-sweep": {"task": "tickets.tasks.pipeline_sweep", "schedule": 10.0},
    # Sends whose worker died mid-send (an expired lease): looked up, never blindly resent.
    "sweep-interrupted-sends": {"task": "tickets.tasks.sweep_interrupted_sends", "schedule": 60.0},
    # Agents whose console stopped sending heartbeats (a crashed server process) go offline.
    "sweep-agent-presence": {"task": "tickets.tasks.sweep_agent_presence", "schedule": 60.0},
    # Escalation rules over the active tickets (bounded batches), and SLA breaches.
    "sweep-escalation-rules": {"task": "tickets.tasks.sweep_escalation_rules", "schedule": 60.0},
    "sweep-sla-breaches": {"task": "tickets.tasks.sweep_sla_breaches", "schedule": 60.0},
    # The inbox counters' deltas, folded into one row per combination (PostgreSQL).
    "fold-inbox-counters": {"task": "tickets.tasks.fold_inbox_counters", "schedule": 60.0},
    # Knowledge base: suggestions viewed without a request afterwards count as deflected.
    "kb-deflection-sweep": {"task": "kb.tasks.deflection_sweep", "schedule": 300.0},
}
