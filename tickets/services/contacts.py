"""What agents change on the contacts page: a customer's details and addresses.
Merging and its undo live in tickets.services.customers."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tickets.models import ContactIdentity, Customer
from tickets.services.identities import InvalidAddress, normalize_address
from tickets.services.sanitize import strip_control_chars
from tickets.services.search_documents import search_documents_customer_changed


class ContactError(ValueError):
    pass


@transaction.atomic
def customer_update(*, customer: Customer, name: str, tier: str, language: str, notes: str) -> Customer:
    if customer.merged_into_id:
        raise ContactError(_("This customer was merged into another; change that one."))
    if tier not in Customer.Tier.values:
        raise ContactError(_("Unknown tier."))
    customer.name = strip_control_chars(name).strip()[:200]
    customer.tier = tier
    customer.language = strip_control_chars(language).strip()[:8]
    customer.notes = strip_control_chars(notes).strip()
    customer.save(update_fields=["name", "tier", "language", "notes"])
    search_documents_customer_changed(customer_ids=[customer.pk])
    return customer


def identity_add(*, customer: Customer, address: str) -> ContactIdentity:
    """Adds an address in any spelling, normalized as the pipeline does. One that
    belongs to another customer is refused with that customer's name: merging the
    two is the way to give it to this one."""
    try:
        normalized = normalize_address(address)
    except InvalidAddress as exc:
        raise ContactError(str(exc)) from exc
    owner = ContactIdentity.objects.select_related("customer").filter(kind=normalized.kind, address=normalized.address)
    existing = owner.first()
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing
        raise ContactError(
            _("%(address)s belongs to %(customer)s; merge the two customers instead.")
            % {"address": normalized.address, "customer": existing.customer}
        )
    try:
        with transaction.atomic():
            identity = ContactIdentity.objects.create(
                customer=customer,
                kind=normalized.kind,
                address=normalized.address,
                lookup_key=normalized.lookup_key,
                verified=True,
            )
            search_documents_customer_changed(customer_ids=[customer.pk])
            return identity
    except IntegrityError as exc:
        raise ContactError(_("%(address)s was just added elsewhere.") % {"address": normalized.address}) from exc


@transaction.atomic
def identity_remove(*, identity: ContactIdentity) -> None:
    if ContactIdentity.objects.filter(customer_id=identity.customer_id).count() <= 1:
        raise ContactError(_("A customer keeps at least one address."))
    identity.delete()
    search_documents_customer_changed(customer_ids=[identity.customer_id])
