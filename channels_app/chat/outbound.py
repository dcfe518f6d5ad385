"""Delivering an agent's reply to the customer's open chat widgets.

The reply goes to the channel-layer group of each visitor who wrote in the ticket,
so it reaches them whichever server process holds their websocket. It is 'sent'
once published; the widget reports it 'read' when the customer has seen it."""

from __future__ import annotations

from channels_app.chat.session import chat_frame, ticket_visitors
from tickets import events
from tickets.models import Message
from tickets.registry import PermanentSendError, SendResult
from tickets.services.delivery import register_interrupted_send_preparer


def chat_send(message: Message) -> SendResult:
    visitors = ticket_visitors(ticket_id=message.ticket_id)
    if not visitors:
        raise PermanentSendError("nobody wrote in this ticket by live chat", code="no_chat_visitor")
    frame = chat_frame(message)
    frame["status"] = Message.DeliveryStatus.SENT
    events.send_event([events.chat_visitor_group(visitor) for visitor in visitors], frame)
    return SendResult(external_id=f"chat-out-{message.pk}", status=Message.DeliveryStatus.SENT)


def _interrupted_send_prepare(message: Message, claimed_at) -> None:
    """Nothing to look up: the widget shows a reply once by its id, so a send that a
    crash interrupted is simply published again."""


register_interrupted_send_preparer("chat", _interrupted_send_prepare)
