"""Reads behind the console's contacts pages."""

from __future__ import annotations

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet

from tickets.models import ContactIdentity, Customer, CustomerMerge, Ticket
from tickets.selectors.search import address_customer_ids


def contact_list(*, query: str = "") -> QuerySet[Customer]:
    """Customers (merged-away ones excluded), the most recently heard from first,
    with their addresses and ticket counts in a constant number of queries."""
    customers = (
        Customer.objects.filter(merged_into__isnull=True, erased_at__isnull=True)
        .annotate(ticket_count=Count("tickets", distinct=True), last_ticket_at=Max("tickets__updated_at"))
        .prefetch_related(Prefetch("identities", queryset=ContactIdentity.objects.order_by("kind", "address")))
        .order_by(F("last_inbound_at").desc(nulls_last=True), "-id")
    )
    query = query.strip()[:200]
    if query:
        exact = address_customer_ids(query)
        condition = Q(pk__in=exact) if exact else Q(name__icontains=query)
        if not exact:
            condition |= Q(pk__in=ContactIdentity.objects.filter(address__icontains=query).values("customer_id"))
            if query.isdigit():
                condition |= Q(pk=int(query)) if len(query) < 19 else Q()
        customers = customers.filter(condition)
    return customers


def contact_detail(*, customer_id: int) -> Customer:
    return Customer.objects.prefetch_related(
        Prefetch("identities", queryset=ContactIdentity.objects.order_by("kind", "address"))
    ).get(pk=customer_id)


def contact_tickets(*, customer_id: int, limit: int = 50) -> list[Ticket]:
    return list(
        Ticket.objects.filter(customer_id=customer_id)
        .select_related("assignee")
        .order_by("-updated_at", "-id")[:limit]
    )


def contact_merges(*, customer_id: int) -> list[CustomerMerge]:
    """The merges into this customer that can still be undone, newest first."""
    return list(
        CustomerMerge.objects.filter(target_id=customer_id, undone_at__isnull=True, source__merged_into_id=customer_id)
        .select_related("source", "actor")
        .order_by("-created_at")
    )


def contact_find(text: str) -> Customer | None:
    """The one live customer an agent means by an address or "#123"."""
    text = text.strip()
    number = text.removeprefix("#")
    if number.isdigit() and len(number) < 19:
        customer = Customer.objects.filter(pk=int(number)).first()
    else:
        ids = address_customer_ids(text)
        customer = Customer.objects.filter(pk=ids[0]).first() if len(ids) == 1 else None
    while customer is not None and customer.merged_into_id:
        customer = customer.merged_into
    return customer
