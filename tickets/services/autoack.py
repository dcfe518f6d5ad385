"""The automatic acknowledgement of a new ticket, on the channel the customer used,
with the time they can expect an answer. It is an automatic message: never a
response, never sent for an auto-reply, and at most once per ticket.

Nor is it sent for a command to the channel (metadata "channel_command": an SMS
STOP, START or HELP), which the channel answers itself: the customer asked nothing
of the support team, and after STOP the acknowledgement could not even be sent."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets.models import Direction, Message, Ticket, TicketSLA
from tickets.services.replies import reply_create
from tickets.services.sla import calendar_for_team, is_business_hours, ticket_sla_start

# The metadata key of an inbound message that is a command to the channel.
CHANNEL_COMMAND = "channel_command"


def _duration(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = round(minutes / 60)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def autoack_text(*, ticket: Ticket, sla: TicketSLA, now) -> str:
    target = sla.first_response_target_s
    due = sla.first_response_due_at
    if is_business_hours(ticket.team_id, now) and target:
        expected = _("We usually answer within %(duration)s.") % {"duration": _duration(target)}
    elif due is not None:
        local = timezone.localtime(due, calendar_for_team(ticket.team_id).time_zone)
        expected = _("Our team is away right now; you will hear from us by %(when)s.") % {
            "when": date_format(local, "l j F, H:i")
        }
    else:
        expected = ""
    return " ".join(
        part for part in [_("Thank you for contacting us. Your request is %(ref)s.") % {"ref": ticket.reference}, expected] if part
    )


def autoack_first_contacts(messages: list[Message]) -> list[Message]:
    """The messages, of those given, that may be the first request of their ticket:
    the only ones `autoack_send` may acknowledge, found for all of them in one query."""
    tickets = {message.ticket_id for message in messages}
    first = dict(
        _requests(Message.objects.filter(ticket_id__in=tickets))
        .values("ticket_id")
        .annotate(first=Min("created_at"))
        .values_list("ticket_id", "first")
    )
    return [message for message in messages if first.get(message.ticket_id) == message.created_at]


def _requests(messages):
    # A request that follows a keyword is the first one the team is asked to answer.
    return messages.filter(direction=Direction.IN, is_auto_reply=False, is_automatic=False).exclude(
        metadata__has_key=CHANNEL_COMMAND
    )


def autoack_send(*, message: Message) -> Message | None:
    """Acknowledges the first inbound message of a new ticket."""
    if not settings.HELPDESK_AUTOACK_ENABLED or message.channel not in settings.HELPDESK_AUTOACK_CHANNELS:
        return None
    if message.direction != Direction.IN or message.is_auto_reply or message.is_automatic:
        return None
    if message.metadata.get(CHANNEL_COMMAND):
        return None
    ticket = Ticket.objects.select_related("customer").get(pk=message.ticket_id)
    if ticket.agent_initiated or ticket.first_response_at is not None or not ticket.is_active:
        return None
    if _requests(Message.objects.filter(ticket=ticket, created_at__lt=message.created_at)).exists():
        return None
    sla = ticket_sla_start(ticket=ticket)
    now = timezone.now()
    with transaction.atomic():
        # The conditional update claims the one acknowledgement of the ticket.
        if not TicketSLA.objects.filter(pk=ticket.pk, autoack_sent_at__isnull=True).update(autoack_sent_at=now):
            return None
        with translation.override(ticket.customer.language or settings.LANGUAGE_CODE):
            text = autoack_text(ticket=ticket, sla=sla, now=now)
        return reply_create(
            ticket=ticket, author=None, text=text, channel=message.channel, is_automatic=True, metadata={"autoack": True}
        )
