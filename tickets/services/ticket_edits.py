"""Edits made outside the services (the Django admin), brought into line with what
the services keep beside a ticket: its search document, its KPI facts and the
rollup days it is counted on."""

from __future__ import annotations

from django.db import transaction

from tickets.models import Customer, Ticket
from tickets.services.kpi_facts import customer_fcr_facts_refresh
from tickets.services.kpi_rollups import kpi_ticket_days_mark
from tickets.services.search_documents import search_documents_customer_changed, search_documents_rebuild


@transaction.atomic
def ticket_edited(*, ticket: Ticket) -> None:
    """After a saved edit: the rollups count the ticket under its channel, team and
    assignee, its document holds its subject, and its customer's FCR facts see it."""
    kpi_ticket_days_mark(ticket_ids=[ticket.pk], with_replies_and_answers=True)
    search_documents_rebuild(ticket_ids=[ticket.pk])
    customer_fcr_facts_refresh(customer_ids=[ticket.customer_id])


def customer_edited(*, customer: Customer) -> None:
    """After a saved edit of a customer or their addresses: their tickets are found by
    their name and addresses."""
    search_documents_customer_changed(customer_ids=[customer.pk])
