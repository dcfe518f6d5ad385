"""Writing some fields of many rows in one statement, each row its own values.

Django's bulk_update writes `SET field = CASE WHEN id = 1 THEN ... WHEN id = 2 ...`,
an expression per row and field built in Python: a quarter of the pipeline's CPU for
a batch of 200 messages. On PostgreSQL the rows' values travel as one array per
column instead, joined on the id (`UPDATE ... FROM unnest(...)`)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def rows_update(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Saves `fields` of `objs` (instances of one model, each once), as bulk_update does."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields)
        return
    q = connection.ops.quote_name
    pk = model._meta.pk
    columns = [model._meta.get_field(name) for name in fields]
    names = ", ".join(q(column.column) for column in columns)
    arrays = ", ".join(f"%s::{column.db_type(connection)}[]" for column in [pk, *columns])
    assignments = ", ".join(f"{q(column.column)} = v.{q(column.column)}" for column in columns)
    sql = (
        f"UPDATE {q(model._meta.db_table)} AS t SET {assignments} FROM unnest({arrays}) AS v(id, {names}) "
        f"WHERE t.{q(pk.column)} = v.id"
    )
    values = [[pk.get_db_prep_save(obj.pk, connection) for obj in objs]]
    values += [[column.get_db_prep_save(getattr(obj, column.attname), connection) for obj in objs] for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
