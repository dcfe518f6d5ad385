"""Finding customers."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from tickets.models import ContactIdentity, Customer
from tickets.services.identities import normalize_address
from tickets.staff_rows import columns, instance, quote


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


def customer_with_identities(*, customer_id: int) -> Customer | None:
    """The customer (None when there is none, or they were merged into another), with
    their identities as prefetch_related("identities") leaves them: one statement,
    where a ticket opened for them through the API read them in two (the customer, then
    the addresses of the ticket's search document)."""
    low, high = connection.ops.integer_field_range(Customer._meta.pk.get_internal_type())
    if not low <= customer_id <= high:
        return None
    identity_customer = quote(ContactIdentity._meta.get_field("customer").column)
    sql = (
        f"SELECT {columns('c', Customer)}, {columns('i', ContactIdentity)}"
        f" FROM {quote(Customer._meta.db_table)} c LEFT JOIN {quote(ContactIdentity._meta.db_table)} i"
        f" ON i.{identity_customer} = c.{quote('id')}"
        f" WHERE c.{quote('id')} = %s AND c.{quote(Customer._meta.get_field('merged_into').column)} IS NULL"
        f" ORDER BY i.{quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    width = len(Customer._meta.concrete_fields)
    customer = instance(Customer, rows[0][:width])
    identities = [instance(ContactIdentity, row[width:]) for row in rows if row[width] is not None]
    known = ContactIdentity.objects.filter(customer=customer)
    known._result_cache, known._prefetch_done = identities, True
    customer._prefetched_objects_cache = {"identities": known}
    return customer
