"""The inbox's own statements, which PostgreSQL plans once per connection.

The rows of a view's first page and the counts are compiled once per agent and view
(ticket_rows.py, inbox_counts.py) and run with the same text on every page view, yet
PostgreSQL planned them every time: 0.8 and 1.3 ms of its CPU a page at 100k tickets,
as much as running them. Prepared, they are planned once per pooled connection.

Three things make that possible. Django's cursors bind parameters on the client, which
cannot prepare; prepared_cursor binds them on the server, for these statements only.
A plan kept for any parameter values (a generic plan) cannot use the partial indexes
on the active statuses when the statuses are parameters; with_constants_written writes
every value of the compiled statement into its text, so that the plan PostgreSQL keeps
is the one it would choose each time. And the clock ("SLA at risk"), which changes at
every call, is the database's statement_timestamp(), not a parameter: with the clock a
parameter, PostgreSQL judged its plans for each value cheaper than a generic one and
planned the counts again at every call. Without it, the counts' plan is kept, and
PostgreSQL's CPU per run fell from 3.4-4.1 to 1.5-2.1 ms at 100k tickets.
statement_timestamp(), not now(): a transaction's now() stands still until it ends."""

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


def with_constants_written(statement: str, params: list, *, clock: datetime) -> str:
    """The compiled statement with its parameters written into its text as literals,
    quoted by psycopg, and those equal to `clock` (the stand-in of the current time)
    as the time at which PostgreSQL runs the statement. Run it with no parameters ([],
    not None: psycopg reads a doubled percent sign as one only when given parameters)."""
    connection.ensure_connection()
    values = iter(params)

    def written(match: re.Match) -> str:
        if match.group() == "%%":
            return "%%"
        value = next(values)
        if isinstance(value, datetime) and value == clock:
            return "statement_timestamp()"
        return sql.Literal(value).as_string(connection.connection).replace("%", "%%")

    return _PLACEHOLDER.sub(written, statement)
