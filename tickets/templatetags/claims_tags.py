"""The console's flag on a customer who only claimed an address."""

from __future__ import annotations

from django import template

from tickets.models import Customer
from tickets.services.claims import open_claims

register = template.Library()


@register.inclusion_tag("console/_identity_claims.html")
def identity_claims(customer: Customer, ticket_id: int) -> dict:
    return {"claims": list(open_claims(customer_id=customer.pk)), "ticket_id": ticket_id}
