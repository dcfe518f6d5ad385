"""The console's search: what agents type into the search box.

- A ticket reference: "HD-123", "#123" (or "123", which is also searched as a word).
- An address in any spelling: "0812345678", "+66 81 234 5678", "66812345678",
  "whatsapp:+66...", "Mixed.Case@Example.com", normalized as the pipeline does and
  found exactly on the identities' (kind, address) index.
- Words, found in each ticket's search document (tickets.models.search): the subject,
  the text of every message (a tracking number, Thai segmented by newmm), the
  customer's name and addresses, and phone numbers written in messages. Every word
  must appear; a Thai word, or another of three letters or more, also finds longer
  words it starts ("refund" finds "refunded", "มา" finds "มาถึง").

On PostgreSQL a GIN index answers words. Results keep the inbox's order (last activity
first), not a text rank: a rank must be computed for every match before the first page
is known, which for a common word is most tickets, whereas last activity is an index
order that stops at the page. So a search first asks the GIN index for at most
CANDIDATES matching tickets (LIMIT, no ordering: it stops there):
- fewer: these are all the matches, and the page is read by primary key and sorted,
  a bounded amount of work however the view filters;
- more: the word is common (one ticket in a hundred or more), and the page walks the
  view's activity index, testing each ticket's document, until the page is full: about
  a hundred tickets per row shown at worst. The inbox pages by keyset (LIMIT n+1), so
  nothing counts the matches.
SQLite (the embedded default) matches each word as a substring of the documents.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL

from tickets.models import ContactIdentity, Customer, Ticket, TicketSearchDocument
from tickets.search_text import phone_term, runs, words
from tickets.services.identities import InvalidAddress, normalize_address

MAX_QUERY = 200
MAX_WORDS = 6
# Prefix matching from this length: shorter prefixes match most of the vocabulary.
PREFIX_CHARS = 3
CANDIDATES = 1_000
# Looks like a phone number: digits with the usual separators, maybe a scheme.
_PHONE = re.compile(r"(?i)^(?:whatsapp:|tel:|sms:)?\s*\+?[\d\s().-]{6,}$")
_SEARCH_DOCUMENT = "(customer_terms || message_terms)"
_THAI = re.compile(r"[\u0e00-\u0e7f]")


def search_words(query: str) -> list[str]:
    """The words a query asks for, as the documents hold them; a phone number is one
    word, its E.164 digits."""
    if _PHONE.match(query) and (digits := phone_term(query.split(":")[-1])):
        return [digits]
    return list(dict.fromkeys(words(query)))[:MAX_WORDS]


def _ticket_number(query: str) -> int | None:
    number = query.strip().upper().removeprefix(f"{settings.HELPDESK_TICKET_PREFIX}-").removeprefix("#").strip()
    return int(number) if number.isdigit() and len(number) < 19 else None


def address_customer_ids(query: str) -> list[int]:
    """Customers with this exact address (or, for an email, its plus-addresses)."""
    if not (_PHONE.match(query) or "@" in query or query.lower().startswith(("whatsapp:", "line:", "messenger:"))):
        return []
    try:
        normalized = normalize_address(query)
    except InvalidAddress:
        return []
    addresses = Q(address=normalized.address) | Q(lookup_key=normalized.lookup_key)
    if normalized.kind == ContactIdentity.Kind.PHONE and (digits := phone_term(query.split(":")[-1])):
        # "66812345678": the country code without its plus.
        addresses |= Q(address=f"+{digits}")
    identities = ContactIdentity.objects.filter(kind=normalized.kind).filter(addresses)
    return list(identities.values_list("customer_id", flat=True).distinct()[:50])


def _lexeme(term: str) -> str:
    """A term for to_tsquery, as a prefix where it is long enough; a Thai word always,
    because newmm may keep it inside a longer word in a sentence ("มา" in "มาถึง")."""
    prefix = len(term) >= PREFIX_CHARS or _THAI.match(term)
    return "'" + term.replace("'", "''") + "'" + (":*" if prefix else "")


def _tsquery(query: str, terms: list[str]) -> str:
    """Every term; a Thai run of several words also matches as one longer word."""
    clauses = []
    for run, run_words in runs(query):
        wanted = [word for word in run_words if word in terms]
        if not wanted:
            continue
        together = " & ".join(_lexeme(word) for word in wanted)
        clauses.append(f"({_lexeme(run)} | ({together}))" if len(wanted) > 1 and _THAI.match(run) else together)
    return " & ".join(clauses) or " & ".join(_lexeme(term) for term in terms)


def _matching_documents(query: str, terms: list[str]) -> QuerySet[TicketSearchDocument]:
    documents = TicketSearchDocument.objects.all()
    if connection.vendor == "postgresql":
        tsquery = _tsquery(query, terms)
        return documents.filter(RawSQL(f"{_SEARCH_DOCUMENT} @@ %s::tsquery", [tsquery], output_field=BooleanField()))
    for term in terms:
        documents = documents.filter(Q(customer_terms__contains=term) | Q(message_terms__contains=term))
    return documents


def ticket_search(tickets: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    """The tickets among `tickets` that match `query` (see the module's docstring).
    A reference or a known address answers exactly; anything else is words."""
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        return tickets
    number = _ticket_number(query)
    if number is not None and not query.isdigit():
        return tickets.filter(pk=number)
    customer_ids = address_customer_ids(query)
    if customer_ids:
        # Merged-away customers' tickets moved to the customer they were merged into.
        live = Customer.objects.filter(pk__in=customer_ids).values_list("merged_into_id", "pk")
        return tickets.filter(customer_id__in={merged or pk for merged, pk in live})
    terms = search_words(query)
    if not terms:
        return tickets.none()
    documents = _matching_documents(query, terms)
    found = list(documents.values_list("ticket_id", flat=True)[: CANDIDATES + 1])
    if len(found) <= CANDIDATES:
        condition = Q(pk__in=found)
    else:
        # A scalar subquery, which PostgreSQL never turns into a join: it is tested
        # ticket by ticket as the view's index order goes, and the LIMIT stops it.
        own = documents.filter(ticket_id=OuterRef("pk")).annotate(found=Value(True)).values("found")[:1]
        tickets = tickets.alias(search_found=Subquery(own, output_field=BooleanField()))
        condition = Q(search_found=True)
    if number is not None:
        condition |= Q(pk=number)
    return tickets.filter(condition)
