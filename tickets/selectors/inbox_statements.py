"""The inbox's own statements, which PostgreSQL plans once per connection.

The rows of a view's first page and the counts are compiled once per agent and view
(ticket_rows.py, inbox_counts.py) and run with the same text on every page view, yet
PostgreSQL planned them every time: 0.8 and 1.3 ms of its CPU a page at 100k tickets,
as much as running them. Prepared, the rows' statement is planned once per pooled
connection: after five runs PostgreSQL keeps a generic plan, and its CPU per run fell
from 1.8 to 1.0 ms. The counts' statement is still planned at each run, as PostgreSQL
judges its plans for the current clock cheaper than a generic one; it is parsed once.

Two things make a generic plan possible. Django's cursors bind parameters on the client, which cannot
prepare; prepared_cursor binds them on the server, for these statements only. And a
plan kept for any parameter values (a generic plan) cannot use the partial indexes on
the active statuses when the statuses are parameters; with_constants_written writes
every value of the compiled statement into its text, save the clock, so that the plan
PostgreSQL keeps is the one it would choose each time."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from psycopg import sql
from psycopg.types.datetime import TimestamptzLoader

# Django writes a parameter as %s and a literal percent sign as %%.
_PLACEHOLDER = re.compile(r"%%|%s")


class _LoggedStatement:
    """What Django's query log reads from a cursor (its _query.query): the statement
    with its values written in, composed only when it is read."""

    def __init__(self, statement: str, params) -> None:
        self.statement, self.params = statement, params

    @property
    def query(self) -> bytes:
        return connection.ops.compose_sql(self.statement, self.params).encode()


class _PreparingCursor(ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        result = super().execute(query, params, prepare=True, binary=binary)
        # psycopg records the statement (for Django's log) only when it does not prepare it.
        self._query = _LoggedStatement(query, params)
        return result


def prepared_cursor() -> CursorWrapper:
    """A cursor of the default (PostgreSQL) connection that prepares what it runs,
    logged and counted as Django's own. Its times are read by psycopg's loader in C,
    not Django's subclass in Python: the same aware UTC datetimes (the session's time
    zone is UTC), and a page's 300 of them cost 0.15 ms of CPU instead of 1.2 ms."""
    connection.ensure_connection()
    cursor = _PreparingCursor(connection.connection)
    cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    return connection._prepare_cursor(cursor)


def with_constants_written(statement: str, params: list, *, clock: datetime) -> tuple[str, list]:
    """The compiled statement with its parameters written into its text as literals,
    quoted by psycopg, except those equal to `clock` (the stand-in that each run
    replaces), which stay parameters: the statement and its remaining parameters."""
    connection.ensure_connection()
    values, kept = iter(params), []

    def written(match: re.Match) -> str:
        if match.group() == "%%":
            return "%%"
        value = next(values)
        if isinstance(value, datetime) and value == clock:
            kept.append(value)
            return "%s"
        return sql.Literal(value).as_string(connection.connection).replace("%", "%%")

    return _PLACEHOLDER.sub(written, statement), kept
