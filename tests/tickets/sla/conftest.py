"""The supervision fixtures: a settable clock, an office calendar, an outbox."""

from tests.tickets.sla.helpers import clock, office_calendar, outbox  # noqa: F401
