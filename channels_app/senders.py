"""Registers each channel adapter's sender with the domain's registry."""

from channels_app.chat import tasks as chat_tasks  # noqa: F401  (registers the transcript task with Celery)
from channels_app.chat.outbound import chat_send
from channels_app.email import anymail as email_anymail  # noqa: F401  (connects anymail's inbound signal)
from channels_app.email import tasks as email_tasks  # noqa: F401  (registers the mailbox poll with Celery)
from channels_app.email.outbound import email_send
from channels_app.tasks import fetch_twilio_media
from channels_app.twilio.outbound import sms_send, whatsapp_send
from tickets.registry import register_media_fetcher, register_sender

register_sender("chat", chat_send)
register_sender("email", email_send)
register_sender("sms", sms_send)
register_sender("whatsapp", whatsapp_send)
# Twilio-hosted media (MMS, WhatsApp) is downloaded by a task, after the message is stored.
register_media_fetcher("sms", fetch_twilio_media.delay)
register_media_fetcher("whatsapp", fetch_twilio_media.delay)
