"""Registers each channel adapter's sender with the domain's registry."""

from channels_app.chat import tasks as chat_tasks  # noqa: F401  (registers the transcript task with Celery)
from channels_app.chat.followups import chat_messages_stored
from channels_app.chat.outbound import chat_send
from channels_app.email import anymail as email_anymail  # noqa: F401  (connects anymail's inbound signal)
from channels_app.email import tasks as email_tasks  # noqa: F401  (registers the mailbox poll with Celery)
from channels_app.email.outbound import email_send
from channels_app.line.outbound import line_send
from channels_app.line.tasks import fetch_line_media
from channels_app.meta.outbound import meta_send
from channels_app.meta.tasks import fetch_meta_media
from channels_app.tasks import fetch_twilio_media
from channels_app.twilio.outbound import sms_send, whatsapp_send
from tickets.registry import register_inbound_followup, register_media_fetch_task, register_sender

register_sender("chat", chat_send)
register_sender("email", email_send)
register_sender("sms", sms_send)
register_sender("whatsapp", whatsapp_send)
register_sender("line", line_send)
register_sender("messenger", meta_send)
register_sender("instagram", meta_send)
# Twilio-hosted media (MMS, WhatsApp) is downloaded by a task, after the message is stored.
register_media_fetch_task("sms", fetch_twilio_media.name)
register_media_fetch_task("whatsapp", fetch_twilio_media.name)
# LINE content is fetched through its content API, by a task, within size and type limits.
register_media_fetch_task("line", fetch_line_media.name)
# Files Messenger and Instagram users send are on Meta's CDN, fetched by a task.
register_media_fetch_task("messenger", fetch_meta_media.name)
register_media_fetch_task("instagram", fetch_meta_media.name)
# The visitor's widgets hear of each stored chat message, with its id and ticket.
register_inbound_followup("chat", chat_messages_stored)
