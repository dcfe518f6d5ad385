"""The supervisor's side of replies by agents in training: approve, edit and
approve, or reject with a note back to the agent."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tickets import events
from tickets.models import Direction, Message, Notification, TicketActivity
from tickets.services.console import notifications_create
from tickets.services.kpi_rollups import kpi_days_mark
from tickets.services.replies import ReplyError, reply_approve
from tickets.services.sanitize import strip_control_chars
from tickets.services.search_documents import search_documents_rebuild


def _awaiting(message: Message) -> Message:
    message = Message.objects.select_for_update(of=("self",)).select_related("ticket", "author").get(pk=message.pk)
    if message.delivery_status != Message.DeliveryStatus.AWAITING_APPROVAL:
        raise ReplyError(_("This reply is not waiting for approval."))
    return message


def _tell_author(message: Message, text: str) -> None:
    if message.author_id is not None:
        notifications_create(users=[message.author], ticket=message.ticket, kind=Notification.Kind.APPROVAL, text=text)


@transaction.atomic
def reply_approve_with_edit(*, message: Message, approver, text: str | None = None) -> Message:
    """Approves the reply, with the supervisor's corrected text if given."""
    message = _awaiting(message)
    if text is not None:
        text = strip_control_chars(text).strip()
        if not text:
            raise ReplyError(_("A reply needs some text."))
        if text != message.text:
            message.text = text
            message.html = ""
            message.metadata = {**message.metadata, "edited_by": approver.pk}
            message.save(update_fields=["text", "html", "metadata"])
            # The words of the text as sent, not of the draft.
            search_documents_rebuild(ticket_ids=[message.ticket_id])
    message = reply_approve(message=message, approver=approver)
    _tell_author(message, _("Your reply on %(ticket)s was approved.") % {"ticket": message.ticket.reference})
    return message


@transaction.atomic
def reply_reject(*, message: Message, approver, note: str) -> Message:
    """The reply is never sent. It stays on the ticket as an internal note, so the
    agent sees what was rejected and why."""
    message = _awaiting(message)
    note = strip_control_chars(note).strip()
    message.direction = Direction.NOTE
    message.delivery_status = Message.DeliveryStatus.NONE
    message.metadata = {**message.metadata, "rejected_by": approver.pk, "rejection_note": note[:2000]}
    message.save(update_fields=["direction", "delivery_status", "metadata"])
    kpi_days_mark([message.created_at])  # no longer a reply in the agent's count
    TicketActivity.objects.create(
        ticket=message.ticket,
        kind=TicketActivity.Kind.APPROVAL,
        actor=approver,
        data={"message": message.pk, "rejected": True, "note": note[:2000]},
    )
    events.publish_delivery_status(message)
    _tell_author(
        message,
        _("Your reply on %(ticket)s was rejected: %(note)s") % {"ticket": message.ticket.reference, "note": note},
    )
    return message
