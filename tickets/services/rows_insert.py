"""Inserting a row together with the rows that come with it (a new ticket's first
activity, its search document, its day's KPI mark) in one statement.

On PostgreSQL the rows are data-modifying WITH clauses of one statement, the
dependent rows' foreign key taken from the new row's RETURNING
(https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING):
one round trip where Model.save() makes one per row. Elsewhere each row is saved in
turn."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def _insert_parts(obj: Model, *, parent_key: str | None = None) -> tuple[str, list[str], list]:
    """`obj`'s columns, their placeholders and values, as Model.save() writes them. The
    column `parent_key` takes the id of the WITH clause `parent` instead."""
    q = connection.ops.quote_name
    meta = obj._meta
    fields = [field for field in meta.concrete_fields if field is not meta.auto_field]
    placeholders, values = [], []
    for field in fields:
        if field.attname == parent_key:
            placeholders.append(f"parent.{q(field.target_field.column)}")
            continue
        value = field.get_db_prep_save(field.pre_save(obj, True), connection)
        placeholders.append(
            field.get_placeholder(value, None, connection) if hasattr(field, "get_placeholder") else "%s"
        )
        values.append(value)
    return ", ".join(q(field.column) for field in fields), placeholders, values


def rows_insert(parent: Model, *, dependents: Sequence[tuple[Model, str]] = (), others: Sequence[Model] = ()) -> None:
    """Inserts `parent` (which gets its id), each dependent row with its foreign key
    (the field named beside it) set to `parent`, and the `others`. Only `parent` gets
    its id back."""
    if connection.vendor != "postgresql":
        parent.save(force_insert=True)
        for row, key in dependents:
            setattr(row, key, parent)
            row.save(force_insert=True)
        for row in others:
            row.save(force_insert=True)
        return
    q = connection.ops.quote_name
    meta = parent._meta
    columns, placeholders, params = _insert_parts(parent)
    clauses = [
        f"parent AS (INSERT INTO {q(meta.db_table)} ({columns}) VALUES ({', '.join(placeholders)}) "
        f"RETURNING {q(meta.pk.column)})"
    ]
    for number, (row, key) in enumerate(dependents):
        columns, placeholders, values = _insert_parts(row, parent_key=row._meta.get_field(key).attname)
        clauses.append(
            f"dependent{number} AS (INSERT INTO {q(row._meta.db_table)} ({columns}) "
            f"SELECT {', '.join(placeholders)} FROM parent)"
        )
        params += values
    for number, row in enumerate(others):
        columns, placeholders, values = _insert_parts(row)
        clauses.append(
            f"other{number} AS (INSERT INTO {q(row._meta.db_table)} ({columns}) VALUES ({', '.join(placeholders)}))"
        )
        params += values
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(clauses)} SELECT {q(meta.pk.column)} FROM parent", params)
        parent.pk = cursor.fetchone()[0]
    parent._state.adding, parent._state.db = False, connection.alias
