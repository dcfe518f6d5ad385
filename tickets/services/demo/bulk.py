"""`demo_seed`: the demo's logins, its showcase, and as many bulk tickets as asked.

The bulk tickets are generated in Python (`generator`) and written in batches that
bypass the pipeline (`writers`): COPY on PostgreSQL, `bulk_create` elsewhere, the
same rows either way; on PostgreSQL several worker processes write the batches at
once (`parallel`), into tables whose secondary indexes wait for the end of the
load when the database was empty (`loading`). They carry the KPI facts the
services would have recorded, but no InboundEvent rows, no realtime events and no
follow-up tasks. What the services keep up to date beside them is rebuilt once, at
the end (`demo_derived_data_rebuild`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from tickets.models import (
    Attachment,
    Channel,
    ChatSessionLog,
    Customer,
    Message,
    Survey,
    Ticket,
    TicketActivity,
    TicketSearchDocument,
    TicketSLA,
)
from tickets.services.demo.canned import demo_canned_seed
from tickets.services.demo.files import demo_files
from tickets.services.demo.generator import StoryGenerator
from tickets.services.demo.loading import secondary_indexes_deferred, seeding_session_prepare, side_by_side
from tickets.services.demo.parallel import StoryBatches, stories_write_parallel
from tickets.services.demo.people import demo_calendar_ensure, demo_users_ensure
from tickets.services.demo.phases import PhaseTimes
from tickets.services.demo.plan import (
    CHANNEL_WEIGHTS,
    HISTORY_DAYS,
    MESSAGING_SHARE,
    Person,
    chunks,
)
from tickets.services.demo.search import customer_search_terms
from tickets.services.demo.showcase import showcase_seed
from tickets.services.demo.sla import SlaClock, demo_sla_policies_ensure
from tickets.services.demo.surveys import SurveyAnswers
from tickets.services.demo.writers import BatchPipeline, CopyWriter, OrmWriter
from tickets.services.sla import calendar_for_team


@dataclass
class SeedSummary:
    tickets: int = 0
    messages: int = 0
    customers: int = 0
    identities: int = 0
    attachments: int = 0
    pipeline_messages: int = 0


def demo_seed(
    *,
    tickets: int,
    messages_per_ticket: float = 4.0,
    seed: int = 1,
    batch_size: int = 2000,
    showcase: bool = True,
    history_days: int = HISTORY_DAYS,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    times: PhaseTimes | None = None,
) -> SeedSummary:
    """Seeds `tickets` bulk tickets (plus the showcase contacts through the pipeline),
    the resolved and closed ones spread over `history_days`. Run again, it adds more:
    addresses and provider ids never collide with earlier runs. With `workers` > 1 on
    PostgreSQL, that many processes write the batches at once: the same data, but the
    tickets' ids follow the order in which the batches finish."""
    times = times or PhaseTimes()
    seeding_session_prepare()
    setup = demo_users_ensure()
    demo_calendar_ensure()
    demo_sla_policies_ensure()
    demo_canned_seed(users=setup["users"])
    summary = SeedSummary()
    fresh = not Ticket.objects.exists()
    if showcase:
        with times.phase("showcase"):
            summary.pipeline_messages = showcase_seed(users=setup["users"])
    if tickets <= 0:
        return summary
    # A fresh database with the same seed gives the same data. A later run continues the
    # numbering past every customer, so its addresses and provider ids never collide.
    offset = 1 if fresh else (Customer.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    rng = random.Random(seed if fresh else f"{seed}:{offset}")
    writer_class = CopyWriter if connection.vendor == "postgresql" else OrmWriter
    writer = writer_class(batch_size=batch_size)
    now, calendar = timezone.now(), calendar_for_team(None)
    generator = StoryGenerator(
        rng=rng, now=now, users=setup["users"], teams=setup["teams"], files=demo_files(),
        messages_per_ticket=messages_per_ticket, calendar=calendar, history_days=history_days,
    )  # fmt: skip
    clock = SlaClock(calendar=calendar, now=now)

    # A second thread or worker processes write with connections of their own, which
    # would not see the rows of a transaction the caller has open.
    threaded = writer_class is CopyWriter and not connection.in_atomic_block
    # The workers write the search documents as they go: they have the texts at hand.
    parallel = threaded and workers > 1 and tickets > batch_size
    people: list[Person] = []
    customers = max(12, tickets // 3)
    with times.phase("customers"):
        pipeline = BatchPipeline(writer.customers, threaded=threaded)
        try:
            for start in range(0, customers, batch_size):
                built = [generator.customer(offset + i) for i in range(start, min(customers, start + batch_size))]
                if parallel:
                    for customer, person, identities in built:
                        person.search_terms = customer_search_terms(customer, identities)
                pipeline.submit(built, then=people.extend)
        finally:
            pipeline.close()
    summary.customers = len(people)
    summary.identities = sum(bool(p.email) + bool(p.phone) + bool(p.chat) + len(p.messaging) for p in people)
    by_channel = {
        Channel.EMAIL: [p for p in people if p.email],
        Channel.SMS: [p for p in people if p.phone],
        Channel.WHATSAPP: [p for p in people if p.phone],
        Channel.CHAT: [p for p in people if p.chat],
        **{channel: [p for p in people if channel in p.messaging] for channel in MESSAGING_SHARE},
    }
    channels = [c for c in CHANNEL_WEIGHTS if by_channel[c]]
    weights = [CHANNEL_WEIGHTS[c] for c in channels]

    def written(counts: tuple[int, int, int]) -> None:
        summary.tickets += counts[0]
        summary.messages += counts[1]
        summary.attachments += counts[2]
        if progress:
            progress(counts[0])

    batches = StoryBatches(
        generator=generator, clock=clock, by_channel=by_channel, channels=channels, weights=weights,
        surveys=SurveyAnswers(),
    )  # fmt: skip
    loaded = [Ticket, Message, TicketActivity, TicketSLA, Ticket.tags.through, Attachment, Survey, ChatSessionLog]
    if parallel:
        with secondary_indexes_deferred([*loaded, TicketSearchDocument], enabled=fresh, times=times):
            with times.phase("tickets (workers)"):
                for counts in stories_write_parallel(
                    batches,
                    writer=writer,
                    tickets=tickets,
                    seed_key=f"{seed}:{offset}",
                    workers=workers,
                    worker_seconds=times.worker_seconds,
                ):
                    written(counts)
        seeding_session_prepare()
    else:
        with secondary_indexes_deferred(loaded, enabled=fresh, times=times), times.phase("tickets"):
            pipeline = BatchPipeline(writer.stories, threaded=threaded)
            try:
                for chunk in chunks(tickets, batch_size):
                    pipeline.submit(batches.make(chunk), then=written)
            finally:
                pipeline.close()
    with times.phase("customers' last contact"):
        demo_derived_data_rebuild(first_customer_id=offset)
    return summary


def demo_derived_data_rebuild(*, first_customer_id: int) -> None:
    """Derived data: what the services keep up to date as they work, rebuilt from the
    bulk rows, which bypassed them. Every table derived from tickets, messages and
    surveys (counters, rollups, search documents) gets its rebuild call here, once,
    after the last batch."""
    # The customers' last contact, from their tickets, in one statement.
    last_inbound = Ticket.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    Customer.objects.filter(pk__gte=first_customer_id, last_inbound_at__isnull=True).update(
        last_inbound_at=Subquery(last_inbound.annotate(top=Max("last_inbound_at")).values("top")[:1])
    )


def demo_tables_compact() -> None:
    """After the rebuilds: their UPDATE of every bulk ticket and customer left each
    index twice its size, and the planner then reads whole tables where a covering
    index would do. A database that grew by inserts has no such bloat, so the demo's
    should not either (PostgreSQL). The indexes are made again side by side, the
    biggest first."""
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model in (Ticket, Customer)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = ANY(%s::regclass[]) "
            "ORDER BY pg_relation_size(indexrelid) DESC",
            [tables],
        )
        indexes = [name for (name,) in cursor.fetchall()]
    quote = connection.ops.quote_name
    side_by_side([f"REINDEX INDEX {name}" for name in indexes] + [f"ANALYZE {quote(table)}" for table in tables])
