"""What the agent console changes: replies and notes (with @mentions), bulk
updates of tickets, and the console's notifications."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import events
from tickets.models import Message, Notification, Ticket
from tickets.selectors.console import SUPERVISOR_ROLES, staff_users
from tickets.services import tickets as ticket_services
from tickets.services.replies import default_reply_channel, reply_channel_check, reply_channel_options, reply_create

User = get_user_model()

# More would be a job for a background task; the console pages 50 rows at a time.
BULK_LIMIT = 200
MENTION = re.compile(r"(?<![\w.@])@([\w.+-]{1,150})")


class BulkActionError(ValueError):
    pass


def agent_group(user_id: int) -> str:
    """The channel-layer group of one agent's console connections."""
    return f"agent-{user_id}"


def notifications_create(*, users: Iterable, ticket: Ticket | None, kind: str, text: str) -> list[Notification]:
    """Stores one notification per user and rings their bells after commit."""
    now = timezone.now()
    created = Notification.objects.bulk_create(
        [Notification(user=user, ticket=ticket, kind=kind, text=text[:500], created_at=now) for user in users]
    )
    for notification in created:
        events.publish_on_commit(
            [agent_group(notification.user_id)],
            {
                "type": "notification.created",
                "notification": {
                    "id": notification.pk,
                    "kind": notification.kind,
                    "text": notification.text,
                    "ticket": notification.ticket_id,
                },
            },
        )
    return created


def notifications_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


def _display_name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def console_reply_send(
    *, ticket: Ticket, author, text: str, channel: str | None = None, attachments: Sequence[UploadedFile] = ()
) -> Message:
    """A public reply from the console, on this ticket's channel unless the agent
    chose another that reaches the customer. It is queued, never sent in the
    request. A reply of an agent in training waits for approval, and the
    supervisors hear of it."""
    options = reply_channel_options(ticket=ticket)
    channel = channel or default_reply_channel(ticket, options=options)
    reply_channel_check(ticket=ticket, channel=channel, options=options)
    message = reply_create(ticket=ticket, author=author, text=text, channel=channel, attachments=attachments)
    if message.delivery_status == Message.DeliveryStatus.AWAITING_APPROVAL:
        notifications_create(
            users=staff_users(roles=SUPERVISOR_ROLES).exclude(pk=author.pk),
            ticket=ticket,
            kind=Notification.Kind.APPROVAL,
            text=_("%(agent)s's reply on %(ticket)s waits for approval")
            % {"agent": _display_name(author), "ticket": ticket.reference},
        )
    return message


def mentioned_agents(text: str, *, exclude_user_id: int | None = None):
    names = set(MENTION.findall(text or ""))
    if not names:
        return User.objects.none()
    agents = staff_users().filter(username__in=names)
    if exclude_user_id is not None:
        agents = agents.exclude(pk=exclude_user_id)
    return agents


@transaction.atomic
def note_create(*, ticket: Ticket, author, text: str) -> Message:
    """An internal note. Every agent it @mentions by username gets a notification."""
    note = reply_create(ticket=ticket, author=author, text=text, is_note=True)
    notifications_create(
        users=list(mentioned_agents(note.text, exclude_user_id=author.pk)),
        ticket=ticket,
        kind=Notification.Kind.MENTION,
        text=_("%(agent)s mentioned you on %(ticket)s: %(excerpt)s")
        % {"agent": _display_name(author), "ticket": ticket.reference, "excerpt": note.text[:200]},
    )
    return note


@transaction.atomic
def tickets_bulk_update(
    *,
    ticket_ids: list[int],
    actor,
    status: str = "",
    priority: int | None = None,
    assignee=None,
    unassign: bool = False,
    tags: list[str] | None = None,
) -> list[Ticket]:
    """Applies one change to many tickets through the same services a single change
    uses, so each ticket gets its activity and its realtime event. All or nothing."""
    if not ticket_ids:
        raise BulkActionError(_("Select at least one ticket."))
    if len(ticket_ids) > BULK_LIMIT:
        raise BulkActionError(_("At most %(limit)d tickets at a time.") % {"limit": BULK_LIMIT})
    tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .select_related("assignee", "team")
        .filter(pk__in=ticket_ids)
        .order_by("pk")
    )
    for ticket in tickets:
        if assignee is not None or unassign:
            ticket_services.ticket_assign(ticket=ticket, assignee=assignee, actor=actor)
        if priority is not None:
            ticket_services.ticket_set_priority(ticket=ticket, priority=priority, actor=actor)
        if tags:
            ticket_services.ticket_add_tags(ticket=ticket, names=tags, actor=actor)
        if status:
            try:
                ticket_services.ticket_set_status(ticket=ticket, status=status, actor=actor)
            except ticket_services.InvalidTransition as exc:
                raise BulkActionError(_("%(ticket)s: %(error)s") % {"ticket": ticket.reference, "error": exc}) from exc
    return tickets
