"""Resolving senders to customers, and merging customers."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import integration_events
from tickets.models import ContactIdentity, Customer, CustomerMerge, IdentityClaim, Message, Ticket, TicketActivity
from tickets.services.identities import NormalizedAddress, normalize_address
from tickets.services.kpi_facts import customer_fcr_facts_refresh
from tickets.services.search_documents import search_documents_customer_changed


class MergeError(ValueError):
    """A merge that cannot be done; a 400 at the API."""


def _identity_find(normalized: NormalizedAddress) -> ContactIdentity | None:
    return (
        ContactIdentity.objects.select_related("customer")
        .filter(kind=normalized.kind, address=normalized.address)
        .first()
    )


def _identity_get_or_create(
    *, normalized: NormalizedAddress, customer: Customer | None, name: str
) -> ContactIdentity:
    return _identity_find(normalized) or _identity_create(normalized=normalized, customer=customer, name=name)


def _identity_create(*, normalized: NormalizedAddress, customer: Customer | None, name: str) -> ContactIdentity:
    """Race-safe: the unique (kind, address) constraint decides between two
    concurrent first contacts from the same address."""
    try:
        with transaction.atomic():
            identity = ContactIdentity.objects.create(
                customer=customer or Customer.objects.create(name=name[:200]),
                kind=normalized.kind,
                address=normalized.address,
                lookup_key=normalized.lookup_key,
            )
            if customer is not None:
                # A known customer's tickets are found by the new address too.
                search_documents_customer_changed(customer_ids=[customer.pk])
            return identity
    except IntegrityError:
        return ContactIdentity.objects.select_related("customer").get(
            kind=normalized.kind, address=normalized.address
        )


def live_customer(customer: Customer) -> Customer:
    """The customer a merged one lives on in."""
    # Identities move on merge, but a stale reference may still name the old customer.
    seen = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = customer.merged_into
    return customer


def customer_resolve(*, sender: str, name: str = "", extra_addresses: list[str] | tuple = ()) -> Customer:
    """The customer who writes from `sender`, created on first contact. Further
    addresses that the provider vouches for (a WhatsApp parent id) attach to the same
    customer when they are new, and find an existing customer when the sender itself
    is new. A chat visitor's are only claimed (typed into a pre-chat form): they
    never lead to another customer, and are recorded as claims (tickets.services.claims)."""
    if sender_claims_only(sender):
        return customers_resolve_many([(sender, name)], claimed=[extra_addresses])[0]
    normalized = normalize_address(sender)
    extras = _valid_addresses(extra_addresses)

    identity = _identity_find(normalized)
    customer = live_customer(identity.customer) if identity else None
    # Extras already looked up, so that none is looked up twice.
    looked_up: dict[NormalizedAddress, ContactIdentity | None] = {}
    if customer is None:
        for extra in extras:
            looked_up[extra] = known = _identity_find(extra)
            if known:
                customer = live_customer(known.customer)
                break
    if identity is None:
        identity = _identity_create(normalized=normalized, customer=customer, name=name)
    customer = live_customer(identity.customer)
    for extra in extras:
        if extra not in looked_up:
            _identity_get_or_create(normalized=extra, customer=customer, name=name)
        elif looked_up[extra] is None:
            _identity_create(normalized=extra, customer=customer, name=name)
    return _named(customer, name)


def sender_claims_only(sender: str) -> bool:
    """Whether the sender's further addresses are only claimed: a chat visitor's,
    typed into the pre-chat form."""
    return normalize_address(sender).kind == ContactIdentity.Kind.CHAT


def _valid_addresses(raws: Sequence[str]) -> list[NormalizedAddress]:
    valid = []
    for raw in raws:
        try:
            valid.append(normalize_address(raw))
        except ValueError:
            continue
    return valid


def customers_resolve_many(
    senders: list[tuple[str, str]], *, claimed: list[Sequence[str]] | None = None
) -> list[Customer]:
    """`customer_resolve` for many (sender, name) pairs, in their order: one query
    finds the known senders (and the owners of the addresses they claim), and one
    INSERT each creates the customers and identities of the new ones. `claimed`, beside
    each sender, lists the addresses a chat visitor only claims (sender_claims_only);
    other senders have none. A sender that appears twice is one customer. Two batches
    never create the same sender at once (its conversation is locked); if they did,
    the unique identity constraint refuses the second."""
    addresses = [normalize_address(sender) for sender, _ in senders]
    claims = [_valid_addresses(raws) for raws in claimed or [()] * len(senders)]
    looked_up = addresses + [a for sender_claims in claims for a in sender_claims]
    known: dict[tuple[str, str], Customer] = {
        (identity.kind, identity.address): identity.customer
        for identity in ContactIdentity.objects.select_related("customer").filter(
            kind__in={a.kind for a in looked_up}, address__in={a.address for a in looked_up}
        )
    }
    created: dict[tuple[str, str], tuple[NormalizedAddress, Customer]] = {}
    for normalized, (_sender, name) in zip(addresses, senders, strict=True):
        key = (normalized.kind, normalized.address)
        if key not in known and key not in created:
            created[key] = (normalized, Customer(name=name[:200]))
    if created:
        Customer.objects.bulk_create([customer for _, customer in created.values()])
        ContactIdentity.objects.bulk_create(
            ContactIdentity(customer=customer, kind=a.kind, address=a.address, lookup_key=a.lookup_key)
            for a, customer in created.values()
        )
        known.update({key: customer for key, (_, customer) in created.items()})
    # One instance per customer, so that what one message changes the next one sees.
    live: dict[int, Customer] = {}
    resolved = []
    names: dict[int, str] = {}
    for normalized, (_sender, name) in zip(addresses, senders, strict=True):
        customer = live_customer(known[(normalized.kind, normalized.address)])
        customer = live.setdefault(customer.pk, customer)
        if name and not customer.name:
            customer.name = names[customer.pk] = name[:200]
        resolved.append(customer)
    _names_record(names)
    _claims_record(
        [(customer, address) for customer, sender_claims in zip(resolved, claims, strict=True) for address in sender_claims],
        owners=known,
    )
    return resolved


def _names_record(names: dict[int, str]) -> None:
    """`_named` for many customers at once: one UPDATE, and their tickets' search
    documents rewritten once."""
    if not names:
        return
    Customer.objects.filter(pk__in=names, name="").update(
        name=Case(*(When(pk=pk, then=Value(name)) for pk, name in names.items()), default=F("name"))
    )
    search_documents_customer_changed(customer_ids=list(names))


def _named(customer: Customer, name: str) -> Customer:
    if name and not customer.name:
        Customer.objects.filter(pk=customer.pk, name="").update(name=name[:200])
        customer.name = name[:200]
        search_documents_customer_changed(customer_ids=[customer.pk])
    return customer


def _claims_record(claims: list[tuple[Customer, NormalizedAddress]], *, owners: dict[tuple[str, str], Customer]) -> None:
    """The addresses chat visitors gave, as claims on their own customers, in one
    INSERT that skips the claims already recorded (a visitor's every message claims
    its pre-chat address again). An address another customer already has (`owners`)
    is noted as "may be" that customer; one the customer has itself is no claim at all."""
    new: dict[tuple[int, str, str], IdentityClaim] = {}
    for customer, normalized in claims:
        owner = owners.get((normalized.kind, normalized.address))
        may_be = live_customer(owner) if owner else None
        if may_be is not None and may_be.pk == customer.pk:
            continue
        new.setdefault(
            (customer.pk, normalized.kind, normalized.address),
            IdentityClaim(customer=customer, kind=normalized.kind, address=normalized.address, may_be=may_be),
        )
    if new:
        IdentityClaim.objects.bulk_create(new.values(), ignore_conflicts=True)


@transaction.atomic
def customer_merge(*, source: Customer, target: Customer, actor=None) -> Customer:
    """Moves every identity, ticket and message of `source` to `target`. Running it
    again changes nothing."""
    if source.pk == target.pk:
        raise MergeError(_("cannot merge a customer into itself"))
    source = Customer.objects.select_for_update().get(pk=source.pk)
    target = Customer.objects.select_for_update().get(pk=target.pk)
    if source.merged_into_id == target.pk:
        return target
    if source.merged_into_id:
        raise MergeError(
            _("customer %(source)s was already merged into customer %(target)s")
            % {"source": source.pk, "target": source.merged_into_id}
        )
    record = CustomerMerge(
        source=source,
        target=target,
        actor=actor,
        identity_ids=list(ContactIdentity.objects.filter(customer=source).values_list("pk", flat=True)),
        message_ids=list(Message.objects.filter(customer=source).values_list("pk", flat=True)),
        target_before={field: getattr(target, field) for field in _MERGED_FIELDS} | {"user": target.user_id},
    )
    ContactIdentity.objects.filter(customer=source).update(customer=target)
    Message.objects.filter(customer=source).update(customer=target)
    ticket_ids = list(Ticket.objects.filter(customer=source).values_list("pk", flat=True))
    record.ticket_ids = ticket_ids
    record.target_before["last_inbound_at"] = target.last_inbound_at.isoformat() if target.last_inbound_at else None
    Ticket.objects.filter(pk__in=ticket_ids).update(customer=target)
    TicketActivity.objects.bulk_create(
        [
            TicketActivity(
                ticket_id=ticket_id,
                kind=TicketActivity.Kind.MERGED,
                actor=actor,
                data={"from_customer": source.pk, "into_customer": target.pk},
            )
            for ticket_id in ticket_ids
        ]
    )
    changed = []
    for field in ("name", "language", "notes"):
        if not getattr(target, field) and getattr(source, field):
            setattr(target, field, getattr(source, field))
            changed.append(field)
    tiers = list(Customer.Tier.values)
    if tiers.index(source.tier) > tiers.index(target.tier):
        target.tier = source.tier
        changed.append("tier")
    if source.last_inbound_at and (not target.last_inbound_at or source.last_inbound_at > target.last_inbound_at):
        target.last_inbound_at = source.last_inbound_at
        changed.append("last_inbound_at")
    if target.user_id is None and source.user_id is not None:
        target.user_id, source.user_id = source.user_id, None
        source.save(update_fields=["user"])
        changed.append("user")
    if changed:
        target.save(update_fields=changed)
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    record.save()
    # The source's contacts now count as the target's repeat contacts, and back.
    customer_fcr_facts_refresh(customer_ids=[source.pk, target.pk])
    search_documents_customer_changed(customer_ids=[target.pk])
    integration_events.customer_merged(source_id=source.pk, target_id=target.pk)
    return target


# The target's fields a merge may fill in from the source, and the undo restores.
_MERGED_FIELDS = ("name", "language", "notes", "tier")


@transaction.atomic
def customer_merge_undo(*, merge: CustomerMerge, actor=None) -> Customer:
    """Splits a merged customer off again: the identities, tickets and messages that
    the merge moved go back, and the target's fields that the merge filled in are
    as they were. Messages that arrived after the merge stay where they are, with
    the ticket they joined. Undoing twice changes nothing."""
    merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    source = Customer.objects.select_for_update().get(pk=merge.source_id)
    target = Customer.objects.select_for_update().get(pk=merge.target_id)
    if merge.undone_at is not None:
        return source
    if source.merged_into_id != target.pk:
        raise MergeError(_("this merge can no longer be undone: the customer was merged again since"))
    ContactIdentity.objects.filter(pk__in=merge.identity_ids, customer=target).update(customer=source)
    Ticket.objects.filter(pk__in=merge.ticket_ids, customer=target).update(customer=source)
    Message.objects.filter(pk__in=merge.message_ids, customer=target).update(customer=source)
    # Later messages on the tickets that went back follow their ticket.
    Message.objects.filter(ticket_id__in=merge.ticket_ids, customer=target).update(customer=source)
    before = merge.target_before
    changed = [field for field in _MERGED_FIELDS if field in before and getattr(target, field) != before[field]]
    for field in changed:
        setattr(target, field, before[field])
    if target.user_id is not None and before.get("user") is None and source.user_id is None:
        source.user_id, target.user_id = target.user_id, None
        source.save(update_fields=["user"])
        changed.append("user")
    if changed:
        target.save(update_fields=changed)
    source.merged_into = None
    source.save(update_fields=["merged_into"])
    search_documents_customer_changed(customer_ids=[source.pk, target.pk])
    TicketActivity.objects.bulk_create(
        [
            TicketActivity(
                ticket_id=ticket_id,
                kind=TicketActivity.Kind.MERGED,
                actor=actor,
                data={"undone": True, "from_customer": source.pk, "into_customer": target.pk},
            )
            for ticket_id in merge.ticket_ids
        ]
    )
    customer_fcr_facts_refresh(customer_ids=[source.pk, target.pk])
    merge.undone_at, merge.undone_by = timezone.now(), actor
    merge.save(update_fields=["undone_at", "undone_by"])
    return source
