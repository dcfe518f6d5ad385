"""Where the bulk demo's rows go. Two writers store the same rows: `OrmWriter` with
`bulk_create`, on any database, and `CopyWriter` on PostgreSQL, which streams them
with COPY (psycopg 3's `cursor.copy`) into the tables as they are, indexes and
constraints included, so that a million tickets seed in minutes. COPY hands out no
ids, so the writer takes them from the tables' own sequences first."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from operator import attrgetter
from typing import TypeVar

from django.db import connection, connections, models, transaction

from tickets.models import (
    Attachment,
    ChatSessionLog,
    ContactIdentity,
    Customer,
    Message,
    Survey,
    Tag,
    Ticket,
    TicketActivity,
    TicketSLA,
)
from tickets.services.demo.plan import Person, Story

TicketTag = Ticket.tags.through
T = TypeVar("T")


def _link(stories: list[Story]) -> tuple[list[Message], list[TicketActivity], list[tuple[int, str]]]:
    """Points the messages and activities at their tickets, once these have ids."""
    messages, activities, links = [], [], []
    for story in stories:
        ticket = story.ticket
        reference = f"[{ticket.reference}]"
        for index, message in enumerate(story.messages):
            message.ticket_id = ticket.pk
            if message.is_automatic:
                # The acknowledgement names the ticket, whose number exists only now.
                message.text = message.text.format(reference=ticket.reference)
            if ticket.channel == "email":
                message.subject = ticket.subject if index == 0 else f"Re: {ticket.subject} {reference}"
            messages.append(message)
        for activity in story.activities:
            activity.ticket_id = ticket.pk
            activities.append(activity)
        links += [(ticket.pk, name) for name in story.tags]
        if story.sla is not None:
            story.sla.ticket_id = ticket.pk
        for survey in story.surveys:
            survey.ticket_id = ticket.pk
        if story.chat_session is not None:
            story.chat_session.ticket_id = ticket.pk
            story.chat_session.visitor = f"demo{ticket.pk}"
    return messages, activities, links


def _attachments(stories: list[Story]) -> list[Attachment]:
    attachments = []
    for story in stories:
        for index, file in story.attachments:
            message = story.messages[index]
            attachments.append(
                Attachment(
                    message_id=message.pk, file=file.name, filename=file.filename, content_type=file.content_type,
                    size=file.size, created_at=message.created_at,
                )
            )  # fmt: skip
    return attachments


def _people(built: list[tuple[Customer, Person, list[ContactIdentity]]]) -> tuple[list[Person], list[ContactIdentity]]:
    """Gives each person and identity the id of its customer, once it has one."""
    people, identities = [], []
    for customer, person, owned in built:
        person.customer_id = customer.pk
        for identity in owned:
            identity.customer_id = customer.pk
        identities += owned
        people.append(person)
    return people, identities


class OrmWriter:
    def __init__(self, *, batch_size: int) -> None:
        self.batch_size = batch_size
        self.tags: dict[str, int] = {}

    def customers(self, built: list[tuple[Customer, Person, list[ContactIdentity]]]) -> list[Person]:
        with transaction.atomic():
            self._insert(Customer, [customer for customer, _, _ in built], with_ids=True)
            people, identities = _people(built)
            self._insert(ContactIdentity, identities)
        return people

    def stories(self, stories: list[Story]) -> tuple[int, int, int]:
        """Writes one batch of tickets in one transaction; returns how many tickets,
        messages and attachments."""
        with transaction.atomic():
            self._insert(Ticket, [story.ticket for story in stories], with_ids=True)
            messages, activities, links = _link(stories)
            self._insert(Message, messages, with_ids=True)
            attachments = _attachments(stories)
            self._insert(Attachment, attachments)
            self._insert(TicketActivity, activities)
            self._insert(TicketSLA, [story.sla for story in stories if story.sla is not None])
            self._insert(TicketTag, [TicketTag(ticket_id=t, tag_id=self._tag_id(name)) for t, name in links])
            self._insert(ChatSessionLog, [story.chat_session for story in stories if story.chat_session is not None])
            self._insert(Survey, [survey for story in stories for survey in story.surveys])
        return len(stories), len(messages), len(attachments)

    def tags_ensure(self, names: Iterable[str]) -> None:
        for name in names:
            self._tag_id(name)

    def _tag_id(self, name: str) -> int:
        if name not in self.tags:
            self.tags[name] = Tag.objects.get_or_create(name=name)[0].pk
        return self.tags[name]

    def _insert(self, model: type[models.Model], rows: list, *, with_ids: bool = False) -> None:
        model.objects.bulk_create(rows, batch_size=self.batch_size)


class CopyWriter(OrmWriter):
    """PostgreSQL: the same rows, through COPY."""

    def _insert(self, model: type[models.Model], rows: list, *, with_ids: bool = False) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            if with_ids:
                _take_ids(cursor, model, rows)
            _copy(cursor, model, rows, with_ids=with_ids)


def _take_ids(cursor, model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Ids from the table's own sequence, as an INSERT would have taken them."""
    table = model._meta.db_table
    column = model._meta.pk.column
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, len(rows)]
    )
    for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
        row.pk = pk


def _copy(cursor, model: type[models.Model], rows: Iterable[models.Model], *, with_ids: bool) -> None:
    # Without ids taken, the table numbers the rows; a key that is data (a one-to-one) always goes.
    fields = [f for f in model._meta.concrete_fields if with_ids or not isinstance(f, models.AutoField)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = attrgetter(*(f.attname for f in fields))
    # JSON and file fields need their database form; every other value goes as it is.
    prepared = [(i, f) for i, f in enumerate(fields) if isinstance(f, models.JSONField | models.FileField)]
    types = _column_types(cursor, model._meta.db_table)
    # Binary: PostgreSQL reads timestamps and numbers as they are instead of parsing their text.
    with cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([types[f.column] for f in fields])
        for row in rows:
            value = values(row)
            if prepared:
                value = list(value)
                for i, field in prepared:
                    value[i] = field.get_db_prep_save(value[i], connection)
            copy.write_row(value)


_COLUMN_TYPES: dict[str, dict[str, int]] = {}


def _column_types(cursor, table: str) -> dict[str, int]:
    """The type oid of each of the table's columns, read once per process."""
    if table not in _COLUMN_TYPES:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0", [table]
        )
        _COLUMN_TYPES[table] = dict(cursor.fetchall())
    return _COLUMN_TYPES[table]


class BatchPipeline:
    """Writes each batch (of stories, or of customers) on a second thread while the
    caller generates the next one, so that PostgreSQL stores one batch while Python
    makes the next: each takes about as long as the other. Batches are written, and
    `then` called, in the order they were submitted. Inline when `threaded` is off, as it must be inside a
    transaction, whose uncommitted rows the thread's own connection would not see."""

    def __init__(self, write: Callable[[list], T], *, threaded: bool) -> None:
        self.write = write
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-writer") if threaded else None
        self.pending: tuple[Future[T], Callable[[T], None]] | None = None

    def submit(self, batch: list, *, then: Callable[[T], None]) -> None:
        if self.executor is None:
            then(self.write(batch))
            return
        self._wait()
        self.pending = (self.executor.submit(self.write, batch), then)

    def close(self) -> None:
        """Waits for the last batch; the thread's connection is closed with it."""
        if self.executor is None:
            return
        try:
            self._wait()
        finally:
            self.executor.submit(connections.close_all).result()
            self.executor.shutdown()

    def _wait(self) -> None:
        if self.pending is not None:
            future, then = self.pending
            self.pending = None
            then(future.result())
