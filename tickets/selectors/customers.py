"""Finding customers."""

from __future__ import annotations

from django.db.models import QuerySet

from tickets.models import ContactIdentity, Customer
from tickets.services.identities import normalize_address


def customer_find_by_identity(address: str) -> QuerySet[Customer]:
    """Customers with this address, in any spelling. An exact identity wins; a base
    email address also finds its plus-addresses. Raises InvalidAddress."""
    normalized = normalize_address(address)
    exact = ContactIdentity.objects.filter(kind=normalized.kind, address=normalized.address)
    customer_ids = list(exact.values_list("customer_id", flat=True)[:1])
    if not customer_ids:
        customer_ids = list(
            ContactIdentity.objects.filter(kind=normalized.kind, lookup_key=normalized.address)
            .values_list("customer_id", flat=True)
            .distinct()[:50]
        )
    return customer_list().filter(pk__in=customer_ids)


def customer_list(*, query: str = "") -> QuerySet[Customer]:
    customers = Customer.objects.filter(merged_into__isnull=True).prefetch_related("identities").order_by("-id")
    if query:
        customers = customers.filter(name__icontains=query)
    return customers
