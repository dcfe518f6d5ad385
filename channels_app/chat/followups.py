"""What the live chat does once the pipeline has stored a batch of chat messages, in
the batch's transaction: the visitor's open widgets get each message with its id and
ticket (the tab that sent it learns them so, the others show the message), and the
live chat session goes on. The websocket only stored the raw event and acknowledged
it; this is where the rest of a message's round trip happens."""

from __future__ import annotations

from django.db.models import prefetch_related_objects

from channels_app.chat.session import chat_frame
from tickets import events
from tickets.models import Message
from tickets.services.chat_sessions import ChatTouch, chat_sessions_touch


def chat_messages_stored(messages: list[Message]) -> None:
    # One query for the batch's files (a file sent through the widget's upload).
    prefetch_related_objects(messages, "attachments")
    live: dict[int, Message] = {}
    for message in messages:
        visitor = message.metadata.get("visitor")
        if not isinstance(visitor, str) or not visitor:
            continue
        events.publish_on_commit([events.chat_visitor_group(visitor)], chat_frame(message))
        # A message left while nobody was online starts no live session.
        if not message.is_automatic and not message.metadata.get("offline"):
            live[message.ticket_id] = message
    chat_sessions_touch(
        [
            ChatTouch(message.ticket_id, message.customer_id, message.metadata["visitor"], message.created_at)
            for message in live.values()
        ]
    )
