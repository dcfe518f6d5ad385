"""Loading the bulk demo into empty PostgreSQL tables fast.

At ten million messages, keeping a dozen indexes (several on random keys: external
ids, idempotency keys) and the deferred foreign-key checks up to date row by row
costs more than everything else the seeder does. Into empty tables, they are
dropped before the load and made again after it: the indexes and constraints a
model declares (Meta.indexes, Meta.constraints) with the SQL its migration ran, the
others (a field's index, a foreign key) from the definitions the database itself
holds (pg_indexes, pg_constraint), so that nothing drifts from the migrations.
PostgreSQL writes a partial index's condition back in another, equivalent form
(`status IN (...)` as `status = ANY (ARRAY[...])`), which made again from that text
may no longer match the queries the index was made for. Primary keys stay: they are
sequential and cheap. The indexes are made again on two connections at once, and the
foreign keys checked the same way once they are back."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial

from django.db import connection, models, transaction

from tickets.services.demo.phases import PhaseTimes

# Every index not owned by a constraint (a primary key or a unique one).
_INDEXES = """
SELECT i.tablename, i.indexname, i.indexdef, x.indpred IS NOT NULL
FROM pg_indexes i
JOIN pg_index x ON x.indexrelid = format('%%I.%%I', i.schemaname, i.indexname)::regclass
WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c
    WHERE c.conindid = format('%%I.%%I', i.schemaname, i.indexname)::regclass AND c.contype IN ('p', 'u', 'x')
  )
ORDER BY i.tablename, i.indexname
"""
# Unique and foreign-key constraints, the unique ones first: a foreign key may reference
# one, so the foreign keys are dropped first and made again last.
_CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('u', 'f')
ORDER BY c.contype DESC, c.conrelid::regclass::text, c.conname
"""
# Index builds sort in memory rather than on disk (per build, for the seeding session only).
MAINTENANCE_WORK_MEM = "1GB"
# Connections making the indexes again at once: a GIN or a small table's build uses one
# core, and the builds wait on the disk in turns.
INDEX_BUILDERS = 2


@contextmanager
def secondary_indexes_deferred(
    tables: list[type[models.Model]], *, enabled: bool, times: PhaseTimes | None = None
) -> Iterator[bool]:
    """Drops the secondary indexes and the unique and foreign-key constraints of these
    tables for the duration of the block and makes them again after it, even if the
    block fails; yields whether it did. `enabled` says the tables were empty when the
    seed began: rebuilding the indexes of a populated database would cost more than
    the load saves (the showcase's few rows do not count). PostgreSQL only, outside a
    transaction."""
    names = [model._meta.db_table for model in tables]
    if not enabled or connection.vendor != "postgresql" or connection.in_atomic_block:
        yield False
        return
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INDEXES, [names])
        declared = _declared(tables)
        # A partial index made by hand in a migration (RunSQL) has no SQL here to be made
        # again with but its written-back text: it stays.
        indexes = [
            (table, name, sql) for table, name, sql, partial in cursor.fetchall() if name in declared or not partial
        ]
        cursor.execute(_CONSTRAINTS, [names])
        constraints = cursor.fetchall()
        for table, name, _ in reversed(constraints):
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for _, name, _ in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    try:
        yield True
    finally:
        foreign_keys = [(t, n, d) for t, n, d in constraints if d.startswith("FOREIGN KEY")]
        unique = [(t, n, d) for t, n, d in constraints if not d.startswith("FOREIGN KEY")]
        with (times or PhaseTimes()).phase("indexes rebuilt"):
            _indexes_make(indexes, declared, unique, names)
            # The foreign keys go back unchecked, at once, and are checked after, side by side:
            # adding one checked would lock its referenced table against the others meanwhile.
            with connection.cursor() as cursor:
                for table, name, definition in foreign_keys:
                    cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition} NOT VALID")
            side_by_side(
                [f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(name)}" for table, name, _ in foreign_keys]
                # The planner's statistics, before the rebuilds that follow read these tables.
                + [f"ANALYZE {quote(table)}" for table in names]
            )


def _indexes_make(
    indexes: list[tuple[str, str, str]], declared: dict, unique: list[tuple[str, str, str]], tables: list[str]
) -> None:
    """The indexes and unique constraints made again, the biggest tables' first, on
    INDEX_BUILDERS connections."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)", [tables])
        sizes = dict(cursor.fetchall())

    def make(index: tuple[str, str, str]) -> None:
        table, name, definition = index
        if (table, name, definition) in unique:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
            return
        if name not in declared:
            with connection.cursor() as cursor:
                cursor.execute(definition)
            return
        model, made = declared[name]
        with connection.schema_editor(atomic=False) as editor:
            if isinstance(made, models.Index):
                editor.add_index(model, made)
            else:
                editor.add_constraint(model, made)

    work = sorted([*unique, *indexes], key=lambda index: -sizes.get(index[0], 0))
    side_by_side([partial(make, index) for index in work])


def side_by_side(work: list[str | Callable[[], None]]) -> None:
    """Runs the statements (or callables) on INDEX_BUILDERS connections of their own, in
    order, each taking the next as it is free; each connection is closed after. For
    work that locks no two tables at once (one index, one table), or it may deadlock."""
    if connection.in_atomic_block:
        # Other connections would wait on the locks of the caller's open transaction.
        for item in work:
            if callable(item):
                item()
            else:
                with connection.cursor() as cursor:
                    cursor.execute(item)
        return
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for item in work:
        pending.put(item)

    def builder() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = %s", [MAINTENANCE_WORK_MEM])
                cursor.execute("SET synchronous_commit = off")
            while True:
                try:
                    item = pending.get_nowait()
                except queue.Empty:
                    return
                if callable(item):
                    item()
                else:
                    with connection.cursor() as cursor:
                        cursor.execute(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(INDEX_BUILDERS, thread_name_prefix="demo-index") as pool:
        for built in [pool.submit(builder) for _ in range(INDEX_BUILDERS)]:
            built.result()


def _declared(
    tables: list[type[models.Model]],
) -> dict[str, tuple[type[models.Model], models.Index | models.BaseConstraint]]:
    """The indexes and constraints the models declare, by name."""
    return {
        declared.name: (model, declared)
        for model in tables
        for declared in (*model._meta.indexes, *model._meta.constraints)
    }


def seeding_session_prepare() -> None:
    """A seed that fails is run again, so its commits need not wait for the disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
