"""The supervision fixtures: a settable clock, an office calendar, an outbox; an
inbound message with its follow-ups run, and a resolution with its survey sent."""

import pytest

from tests.tickets.console.conftest import supervisor_browser  # noqa: F401
from tests.tickets.sla.helpers import clock, deliver_now, office_calendar, outbox  # noqa: F401
from tickets.models import Ticket
from tickets.services.tickets import ticket_set_status


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def deliver(*args, **kwargs):
        return deliver_now(django_capture_on_commit_callbacks, *args, **kwargs)

    return deliver


@pytest.fixture
def resolve(agent, django_capture_on_commit_callbacks):
    def resolve_ticket(ticket):
        ticket.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
        ticket.refresh_from_db()
        return ticket

    return resolve_ticket
