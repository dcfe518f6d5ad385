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
from tickets.services.reply_delivery import AutomaticReply, automatic_replies_create
from tickets.services.sla import CalendarSpec, calendar_for_team, calendar_is_open, tickets_sla_start

# The metadata key of an inbound message that is a command to the channel.
CHANNEL_COMMAND = "channel_command"


def _duration(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = round(minutes / 60)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def autoack_text(*, ticket: Ticket, sla: TicketSLA, now, calendar: CalendarSpec | None = None) -> str:
    calendar = calendar or calendar_for_team(ticket.team_id)
    target = sla.first_response_target_s
    due = sla.first_response_due_at
    if calendar_is_open(calendar, now) and target:
        expected = _("We usually answer within %(duration)s.") % {"duration": _duration(target)}
    elif due is not None:
        local = timezone.localtime(due, calendar.time_zone)
        expected = _("Our team is away right now; you will hear from us by %(when)s.") % {
            "when": date_format(local, "l j F, H:i")
        }
    else:
        expected = ""
    return " ".join(
        part for part in [_("Thank you for contacting us. Your request is %(ref)s.") % {"ref": ticket.reference}, expected] if part
    )


def autoacks_send(*, messages: list[Message]) -> list[Message]:
    """Acknowledges the first request of each new ticket among the inbound messages,
    at most once per ticket, all in a few statements; returns the acknowledgements.
    The messages' tickets (and their customers) are read with them."""
    firsts = [message for message in _first_requests(messages) if _acknowledges(message)]
    if not firsts:
        return []
    tickets_sla_start(tickets=[message.ticket for message in firsts])
    now = timezone.now()
    calendars: dict[int | None, CalendarSpec] = {}
    replies = []
    with transaction.atomic():
        # The conditional update claims the one acknowledgement of each ticket.
        slas = {
            sla.pk: sla
            for sla in TicketSLA.objects.select_for_update().filter(
                pk__in=[message.ticket_id for message in firsts], autoack_sent_at__isnull=True
            )
        }
        TicketSLA.objects.filter(pk__in=slas).update(autoack_sent_at=now)
        for message in firsts:
            ticket = message.ticket
            if ticket.pk not in slas:
                continue
            if ticket.team_id not in calendars:
                calendars[ticket.team_id] = calendar_for_team(ticket.team_id)
            with translation.override(ticket.customer.language or settings.LANGUAGE_CODE):
                text = autoack_text(ticket=ticket, sla=slas[ticket.pk], now=now, calendar=calendars[ticket.team_id])
            replies.append(AutomaticReply(ticket=ticket, text=text, channel=message.channel, metadata={"autoack": True}))
        return automatic_replies_create(replies)


def _acknowledges(message: Message) -> bool:
    if not settings.HELPDESK_AUTOACK_ENABLED or message.channel not in settings.HELPDESK_AUTOACK_CHANNELS:
        return False
    if message.direction != Direction.IN or message.is_auto_reply or message.is_automatic:
        return False
    if message.metadata.get(CHANNEL_COMMAND):
        return False
    ticket = message.ticket
    return not ticket.agent_initiated and ticket.first_response_at is None and ticket.is_active


def _first_requests(messages: list[Message]) -> list[Message]:
    """The messages that are the first request of their ticket, found in one query. A
    request that follows a keyword is the first one the team is asked to answer."""
    first = dict(
        Message.objects.filter(
            ticket_id__in={message.ticket_id for message in messages},
            direction=Direction.IN,
            is_auto_reply=False,
            is_automatic=False,
        )
        .exclude(metadata__has_key=CHANNEL_COMMAND)
        .values("ticket_id")
        .annotate(first=Min("created_at"))
        .values_list("ticket_id", "first")
    )
    return [message for message in messages if first.get(message.ticket_id) == message.created_at]
