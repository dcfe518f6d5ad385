"""The bulk demo's batches, and several processes writing them at once.

One process makes a batch of conversations about as fast as PostgreSQL stores it,
so a million tickets keep one core busy for most of an hour. Forked workers each
make and write whole batches on their own connection (ids come from the tables'
sequences, which hand them out to every connection without collision), and write
the batch's search documents from the texts they have at hand, which saves reading
ten million messages back."""

from __future__ import annotations

import gc
import multiprocessing
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, connections

from tickets.services.demo.generator import StoryGenerator
from tickets.services.demo.loading import seeding_session_prepare
from tickets.services.demo.phrases import TOPICS
from tickets.services.demo.plan import Person, Story, chunks, weighted_statuses
from tickets.services.demo.search import search_documents_copy
from tickets.services.demo.sla import SlaClock
from tickets.services.demo.surveys import SurveyAnswers
from tickets.services.demo.writers import OrmWriter


@dataclass
class StoryBatches:
    """Makes batches of stories: each ticket's status, channel and customer drawn as
    the demo's plan weighs them, then its conversation, SLA clock and survey answers."""

    generator: StoryGenerator
    clock: SlaClock
    by_channel: dict[str, list[Person]]
    channels: list[str]
    weights: list[int]
    surveys: SurveyAnswers

    def make(self, count: int) -> list[Story]:
        rng = self.generator.rng
        stories = []
        for status in weighted_statuses(rng, count):
            channel = rng.choices(self.channels, self.weights)[0]
            story = self.generator.story(rng.choice(self.by_channel[channel]), channel, status)
            story.sla = self.clock.row(story.ticket)
            story.surveys, story.chat_session = self.surveys.for_ticket(rng, story.ticket)
            stories.append(story)
        return stories


@dataclass
class _Job:
    batches: StoryBatches
    writer: OrmWriter
    seed_key: str


# Set before the workers fork, which inherit it: the customers, users and calendar
# are not sent to each of them.
_job: _Job | None = None


def stories_write_parallel(
    batches: StoryBatches,
    *,
    writer: OrmWriter,
    tickets: int,
    seed_key: str,
    workers: int,
    worker_seconds: dict[str, float] | None = None,
) -> Iterator[tuple[int, int, int]]:
    """Writes `tickets` stories in batches of the writer's size over `workers`
    processes; yields each batch's (tickets, messages, attachments) as it is done.
    Batch n draws from its own random stream, so the data depends on the seed only,
    not on which worker made which batch. `worker_seconds` sums, over the batches,
    where the workers' time went."""
    global _job
    # Every tag a story may carry exists before the fork: two workers creating the same
    # one at once would deadlock on its unique name.
    writer.tags_ensure({tag for topic in TOPICS for tag in topic.tags} | {"vip"})
    _job = _Job(batches=batches, writer=writer, seed_key=seed_key)
    # A forked child must not share the parent's sockets to the database, pooled ones included.
    connections.close_all()
    for opened in connections.all(initialized_only=True):
        if hasattr(opened, "close_pool"):
            opened.close_pool()
    # What the workers inherit (the customers, the search text caches) stays out of
    # their garbage collections, which would otherwise walk all of it again and again.
    gc.freeze()
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers, initializer=seeding_session_prepare) as pool:
            for counts, seconds in pool.imap_unordered(_batch_write, enumerate(chunks(tickets, writer.batch_size))):
                if worker_seconds is not None:
                    for name, value in seconds.items():
                        worker_seconds[name] = worker_seconds.get(name, 0.0) + value
                yield counts
            pool.close()
            pool.join()
    finally:
        _job = None
        gc.unfreeze()


def _batch_write(numbered: tuple[int, int]) -> tuple[tuple[int, int, int], dict[str, float]]:
    number, count = numbered
    assert _job is not None
    cpu = time.process_time()
    _job.batches.generator.rng = random.Random(f"{_job.seed_key}:batch{number}")
    stories = _job.batches.make(count)
    generated_cpu, wall = time.process_time(), time.monotonic()
    counts = _job.writer.stories(stories)
    written_cpu, written_wall = time.process_time(), time.monotonic()
    with connection.cursor() as cursor:
        search_documents_copy(cursor, stories)
    return counts, {
        "generation CPU": generated_cpu - cpu,
        "rows written CPU": written_cpu - generated_cpu,
        "rows written wall": written_wall - wall,
        "search documents CPU": time.process_time() - written_cpu,
        "search documents wall": time.monotonic() - written_wall,
    }
