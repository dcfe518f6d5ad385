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
sequential and cheap, and the search documents' upsert needs theirs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
        with (times or PhaseTimes()).phase("indexes rebuilt"), connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = %s", [MAINTENANCE_WORK_MEM])
            for _, name, definition in indexes:
                if name in declared:
                    model, index = declared[name]
                    with connection.schema_editor(atomic=False) as editor:
                        if isinstance(index, models.Index):
                            editor.add_index(model, index)
                        else:
                            editor.add_constraint(model, index)
                else:
                    cursor.execute(definition)
            for table, name, definition in constraints:
                cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
            cursor.execute("RESET maintenance_work_mem")
            # The planner's statistics, before the rebuilds that follow read these tables.
            for table in names:
                cursor.execute(f"ANALYZE {quote(table)}")


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
