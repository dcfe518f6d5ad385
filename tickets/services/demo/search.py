"""The bulk tickets' search documents, written by the workers as they go: the words
each customer is found by are worked out once, when the customer is made, not once
per ticket, and the documents go through COPY as tsvector text, the same lexemes
`search_documents_write` makes, without reading the customers back (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable

from tickets.models import ContactIdentity, Customer, TicketSearchDocument
from tickets.search_text import document_terms
from tickets.services.demo.plan import Story
from tickets.services.search_documents import MAX_TERMS, customer_terms


def customer_search_terms(customer: Customer, identities: list[ContactIdentity]) -> str:
    """What finds this customer, as a rebuild reads it from their name and addresses,
    as tsvector text."""
    return _tsvector(customer_terms(customer, [(identity.kind, identity.address) for identity in identities]))


def _tsvector(terms: Iterable[str]) -> str:
    """A tsvector's text form: each lexeme quoted, with its quotes and backslashes
    escaped; PostgreSQL sorts them and drops repeats, as `array_to_tsvector` does."""
    return " ".join("'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in terms)


def search_documents_copy(cursor, stories: list[Story]) -> None:
    table = TicketSearchDocument._meta.db_table
    with cursor.copy(f"COPY {table} (ticket_id, customer_terms, message_terms) FROM STDIN") as copy:
        for story in stories:
            texts = "\n".join([story.ticket.subject, *(message.text for message in story.messages)])
            # One call on the texts joined by line breaks, as `search_documents_write` makes it.
            message_terms = list(document_terms(texts))[:MAX_TERMS]
            copy.write_row((story.ticket.pk, story.person.search_terms, _tsvector(message_terms)))
