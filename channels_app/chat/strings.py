"""Every string the widget's script shows, translated on the server and handed to
the script as one small JSON dictionary."""

from __future__ import annotations

from django.utils.translation import gettext as _


def widget_strings() -> dict[str, str]:
    return {
        "title": _("Chat with us"),
        "open": _("Open the chat"),
        "close": _("Close the chat"),
        "welcome": _("Hello! Tell us your name and we will be right with you."),
        "start": _("Start chatting"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "attach": _("Send a file"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "online": _("We are online"),
        "typing": _("%(name)s is typing…"),
        "agent": _("Support"),
        "you": _("You"),
        "read": _("Read"),
        "sent": _("Sent"),
        "sending": _("Sending…"),
        "failed": _("Not sent. It will be retried."),
        "file_too_large": _("The file is too large."),
        "upload_failed": _("The file could not be sent."),
        "offline_title": _("We are offline"),
        "offline_intro": _("Nobody can chat right now. Leave a message and we will answer by email or SMS."),
        "offline_send": _("Send message"),
        "offline_thanks": _("Thank you. We will answer you soon."),
        "need_contact": _("Give an email address or a phone number, so that we can answer you."),
        "transcript": _("Email me the transcript"),
        "transcript_sent": _("The transcript is on its way to your inbox."),
        "new_chat": _("Start a new chat"),
        "error": _("Something went wrong. Please try again."),
        "leave": _("End the chat"),
        "ended_left": _("You ended the chat. Write again any time."),
        "ended_agent": _("The agent ended the chat. Write again any time."),
        "ended_idle": _("The chat ended after a quiet while. Write again any time."),
        "survey_thanks": _("Thank you! You answered %(score)s."),
        "survey_closed": _("This question has closed."),
        "survey_score": _("%(score)s out of %(high)s"),
    }
