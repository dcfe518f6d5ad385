"""Keeping the console's search documents (tickets.models.search) right, on the write
path: a ticket's document is created with the ticket, each new message appends its
words with one UPDATE, and a change of the customer (a rename, an address added or
removed, a merge or its undo) replaces the customer's words on all their tickets
with one UPDATE. Erasure rebuilds the erased tickets' documents from what is left,
so that nothing the customer said can still be found.

The words come from tickets.search_text (Thai segmented by newmm); the database only
stores them: on PostgreSQL `array_to_tsvector` takes them as they are, elsewhere they
are kept as text.

`search_documents_rebuild()` rebuilds every document (or the missing ones) in
set-based batches: `manage.py rebuild_search_documents` repairs with it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection

from tickets.models import ContactIdentity, Customer, Message, Ticket, TicketSearchDocument
from tickets.search_text import document_terms, phone_term

TABLE = TicketSearchDocument._meta.db_table
# A tsvector holds at most 1 MB: a ticket with more words than this (a very long chat)
# keeps the words it had, so a message is never refused for its search document.
MAX_TERMS = 40_000
BATCH = 1000


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _terms_sql() -> str:
    """SQL for a parameter of space-joined words as the column's type."""
    return "array_to_tsvector(string_to_array(%s, ' '))" if _postgresql() else "%s"


def _joined(terms: Iterable[str]) -> str:
    return " ".join(sorted(set(terms)))


def customer_terms(customer: Customer, addresses: Iterable[tuple[str, str]]) -> set[str]:
    """The words that find a customer: the name's and every address's (a phone also
    as its E.164 digits). Chat visitor ids are random and never typed."""
    terms = document_terms(customer.name)
    for kind, address in addresses:
        if kind == ContactIdentity.Kind.CHAT:
            continue
        terms |= document_terms(address)
        if kind == ContactIdentity.Kind.PHONE and (digits := phone_term(address)):
            terms.add(digits)
    return terms


def _customer_terms_by_id(customer_ids: Iterable[int]) -> dict[int, str]:
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=set(customer_ids)).only("pk", "name")}
    addresses: dict[int, list[tuple[str, str]]] = {pk: [] for pk in customers}
    for customer_id, kind, address in ContactIdentity.objects.filter(customer_id__in=customers).values_list(
        "customer_id", "kind", "address"
    ):
        addresses[customer_id].append((kind, address))
    return {pk: _joined(customer_terms(customer, addresses[pk])) for pk, customer in customers.items()}


def search_document_of_new_ticket(*, ticket: Ticket, message_texts: Iterable[str] = ()) -> TicketSearchDocument:
    """The new ticket's document, unsaved, for the ticket's own INSERT
    (tickets.services.rows_insert): its customer, its subject, and the words of
    `message_texts` (the message it is opened with, so that the document is written
    once, not written and then updated for that message)."""
    customer = ticket.customer  # the caller's instance: only the addresses are read, if not held already
    if "identities" in getattr(customer, "_prefetched_objects_cache", {}):
        addresses = [(identity.kind, identity.address) for identity in customer.identities.all()]
    else:
        addresses = ContactIdentity.objects.filter(customer_id=customer.pk).values_list("kind", "address")
    message_terms = document_terms(ticket.subject).union(*map(document_terms, message_texts))
    return TicketSearchDocument(
        customer_terms=_joined(customer_terms(customer, addresses)), message_terms=_joined(message_terms)
    )


def search_document_append(*, ticket_id: int, text: str) -> None:
    """Adds a new message's words to its ticket's document. A ticket without one (made
    before documents existed) gets it whole."""
    terms = document_terms(text)
    if not terms:
        return
    if _postgresql():
        sql = (
            f"UPDATE {TABLE} SET message_terms = CASE WHEN length(message_terms) < {MAX_TERMS} "
            f"THEN message_terms || {_terms_sql()} ELSE message_terms END WHERE ticket_id = %s"
        )
    else:
        sql = f"UPDATE {TABLE} SET message_terms = message_terms || ' ' || %s WHERE ticket_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [_joined(terms), ticket_id])
        found = cursor.rowcount
    if not found:
        search_documents_rebuild(ticket_ids=[ticket_id])


def search_documents_append_many(texts: dict[int, list[str]]) -> None:
    """A batch's messages added to their tickets' documents (ticket id -> texts), in
    one statement on PostgreSQL. Tickets without a document get it whole."""
    words = {ticket_id: _joined(set().union(*map(document_terms, items))) for ticket_id, items in texts.items()}
    words = {ticket_id: joined for ticket_id, joined in words.items() if joined}
    if not words:
        return
    if not _postgresql():
        for ticket_id, joined in words.items():
            search_document_append(ticket_id=ticket_id, text=joined)
        return
    values = ", ".join(["(%s::bigint, %s)"] * len(words))
    sql = (
        f"UPDATE {TABLE} AS d SET message_terms = CASE WHEN length(d.message_terms) < {MAX_TERMS} "
        "THEN d.message_terms || array_to_tsvector(string_to_array(v.terms, ' ')) ELSE d.message_terms END "
        f"FROM (VALUES {values}) AS v(ticket_id, terms) WHERE d.ticket_id = v.ticket_id RETURNING d.ticket_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [item for pair in words.items() for item in pair])
        found = {row[0] for row in cursor.fetchall()}
    missing = [ticket_id for ticket_id in words if ticket_id not in found]
    if missing:
        search_documents_rebuild(ticket_ids=missing)


def search_documents_customer_changed(*, customer_ids: Iterable[int]) -> None:
    """The customers' words on all their tickets, after a rename, a new or removed
    address, a merge or its undo: one UPDATE per customer."""
    sql = (
        f"UPDATE {TABLE} SET customer_terms = {_terms_sql()} "
        f"WHERE ticket_id IN (SELECT id FROM {Ticket._meta.db_table} WHERE customer_id = %s)"
    )
    with connection.cursor() as cursor:
        for customer_id, terms in _customer_terms_by_id(customer_ids).items():
            cursor.execute(sql, [terms, customer_id])


def _write_batch(rows: list[tuple[int, str, str]]) -> None:
    with connection.cursor() as cursor:
        if _postgresql():
            ids, customers, messages = (list(column) for column in zip(*rows, strict=True))
            cursor.execute(
                f"INSERT INTO {TABLE} (ticket_id, customer_terms, message_terms) "
                "SELECT id, array_to_tsvector(string_to_array(c, ' ')), array_to_tsvector(string_to_array(m, ' ')) "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS batch(id, c, m) "
                "ON CONFLICT (ticket_id) DO UPDATE SET customer_terms = EXCLUDED.customer_terms, "
                "message_terms = EXCLUDED.message_terms",
                [ids, customers, messages],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {TABLE} (ticket_id, customer_terms, message_terms) VALUES (%s, %s, %s) "
                "ON CONFLICT (ticket_id) DO UPDATE SET customer_terms = excluded.customer_terms, "
                "message_terms = excluded.message_terms",
                rows,
            )


def _rebuild_batch(tickets: list[tuple[int, int, str]]) -> None:
    message_terms = {ticket_id: document_terms(subject) for ticket_id, _, subject in tickets}
    texts = Message.objects.filter(ticket_id__in=message_terms).values_list("ticket_id", "text")
    for ticket_id, text in texts.iterator(chunk_size=5000):
        message_terms[ticket_id] |= document_terms(text)
    by_customer = _customer_terms_by_id(customer_id for _, customer_id, _ in tickets)
    _write_batch(
        [
            (ticket_id, by_customer.get(customer_id, ""), _joined(list(message_terms[ticket_id])[:MAX_TERMS]))
            for ticket_id, customer_id, _ in tickets
        ]
    )


def search_documents_rebuild(
    *,
    ticket_ids: Iterable[int] | None = None,
    missing_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuilds the documents of these tickets (default: all), in batches of a thousand
    tickets, each one read of their messages and one INSERT ... ON CONFLICT. Returns
    how many were written."""
    tickets = Ticket.objects.order_by("pk")
    if ticket_ids is not None:
        tickets = tickets.filter(pk__in=list(ticket_ids))
    if missing_only:
        tickets = tickets.filter(search_document__isnull=True)
    written, last = 0, 0
    while True:
        batch = list(tickets.filter(pk__gt=last).values_list("pk", "customer_id", "subject")[:BATCH])
        if not batch:
            return written
        _rebuild_batch(batch)
        written += len(batch)
        last = batch[-1][0]
        if progress:
            progress(len(batch))


def rebuild_search_documents() -> int:
    """Every ticket's document that is missing, e.g. after bulk-created demo data."""
    return search_documents_rebuild(missing_only=True)


def search_documents_write(documents: list[tuple[int, int, list[str]]]) -> None:
    """The documents of tickets whose texts are at hand, as (ticket id, customer id,
    [subject, message texts...]): what a rebuild would make of them, without reading
    the messages back (the demo's bulk tickets, as they are written)."""
    by_customer = _customer_terms_by_id(customer_id for _, customer_id, _ in documents)
    # One call on the texts joined by line breaks gives the union of their terms: no
    # word and no phone number spans a line break. It costs half as much as one per text.
    _write_batch(
        [
            (ticket_id, by_customer.get(customer_id, ""), _joined(list(document_terms("\n".join(texts)))[:MAX_TERMS]))
            for ticket_id, customer_id, texts in documents
        ]
    )
