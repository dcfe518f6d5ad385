"""The console's search: what agents type into the search box.

- A ticket reference: "HD-123", "#123" or "123".
- An address in any spelling: "0812345678", "+66 81 234 5678", "whatsapp:+66...",
  "Mixed.Case@Example.com", each normalized as the pipeline does, then found on the
  (kind, address) index.
- Words, found in ticket subjects, customer names and the text of every message
  (a tracking number, a sentence of an email). Thai has no spaces between words, so
  a Thai query is segmented with pythainlp's newmm (as the knowledge base does) and
  each word must appear; the match itself is a substring match, served on
  PostgreSQL by trigram indexes (migration 0012), so a word inside a longer Thai
  run is found as well.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings
from django.db.models import Q, QuerySet

from tickets.models import ContactIdentity, Customer, Message, Ticket
from tickets.services.identities import InvalidAddress, normalize_address

MAX_QUERY = 200
MAX_WORDS = 6
MAX_ID_LIST = 5_000
# Looks like a phone number: digits with the usual separators, maybe a scheme.
_PHONE = re.compile(r"(?i)^(?:whatsapp:|tel:|sms:)?\s*\+?[\d\s().-]{6,}$")
_THAI = re.compile(r"[\u0E00-\u0E7F]+")
_SPLIT = re.compile(r"[\s,;]+")


@lru_cache(maxsize=1)
def _newmm():
    from pythainlp.tokenize import word_tokenize

    return word_tokenize


def search_words(query: str) -> list[str]:
    """The words a query asks for: split on spaces, Thai runs segmented by newmm.
    Thai one-letter pieces (a lone vowel sign or particle) mean nothing alone and
    are dropped; so are repeats."""
    words: list[str] = []
    for chunk in _SPLIT.split(query.strip()):
        if not chunk:
            continue
        if _THAI.fullmatch(chunk) and len(chunk) > 3:
            pieces = [piece.strip() for piece in _newmm()(chunk, engine="newmm", keep_whitespace=False)]
            words.extend(piece for piece in pieces if len(piece) > 1)
        else:
            words.append(chunk)
    unique = list(dict.fromkeys(words))
    return unique[:MAX_WORDS]


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
    identities = ContactIdentity.objects.filter(kind=normalized.kind).filter(
        Q(address=normalized.address) | Q(lookup_key=normalized.lookup_key)
    )
    return list(identities.values_list("customer_id", flat=True).distinct()[:50])


def _all_words(field: str, words: list[str]) -> Q:
    condition = Q()
    for word in words:
        condition &= Q(**{f"{field}__icontains": word})
    return condition


def _word_ticket_ids(query: str, words: list[str]) -> QuerySet:
    """The ids of the tickets whose subject, customer name or any message has every
    word: one UNION of index scans (each branch on its trigram index), which the
    inbox's query joins, instead of an OR that would test every ticket."""
    ids = Message.objects.filter(_all_words("text", words)).values("ticket_id").union(
        Ticket.objects.filter(_all_words("subject", words)).values("id"),
        Ticket.objects.filter(customer__in=Customer.objects.filter(_all_words("name", words))).values("id"),
    )
    if any(ch.isdigit() for ch in query) or "@" in query:
        # A partial address ("5678", "@example.com") is found among the addresses.
        partial = ContactIdentity.objects.filter(address__icontains=query.strip()).values("customer_id")
        ids = ids.union(Ticket.objects.filter(customer__in=partial).values("id"))
    return ids


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
    words = search_words(query)
    if not words:
        return tickets.none()
    ids = _word_ticket_ids(query, words)
    # Read the matching ids first: when they are not too many (up to 5,000), the
    # inbox then fetches those tickets by primary key, where PostgreSQL would
    # otherwise walk every ticket in activity order testing each against the set.
    found = [row[0] for row in ids.values_list("ticket_id")[: MAX_ID_LIST + 1]]
    condition = Q(pk__in=found) if len(found) <= MAX_ID_LIST else Q(pk__in=ids)
    if number is not None:
        condition |= Q(pk=number)
    return tickets.filter(condition)
