"""What a failed delivery means, in the agent's language.

The senders store the provider's own English text with a code (tickets.registry.SendError);
the explanation is chosen by that code when the message is shown, so it follows the
language of whoever reads it. A code not listed here shows the stored text."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DELIVERY_ERROR_EXPLANATIONS = {
    # Every channel (tickets.registry)
    "no-sender": _("This channel is not set up for sending. Ask an administrator, or reply on another channel."),
    # A send interrupted by a crash, where nobody can tell whether it went out (tickets/services/delivery.py).
    "interrupted": _(
        "The send was interrupted by a server failure, and the channel cannot tell whether it went out. "
        "Check with the customer before sending it again."
    ),
    # Email (channels_app/email/outbound.py)
    "no_address": _("The customer has no email address we can write to. Reply on another channel."),
    "refused": _("The email service refused the recipient's address. Check the address with the customer."),
    "not_sent": _("The email service accepted nothing. Try again, or reply on another channel."),
    "connection": _("The mail server could not be reached. The email is sent again automatically."),
    "smtp": _("The connection to the mail server failed. The email is sent again automatically."),
    "esp": _("The email service rejected the email. The detail shows its answer."),
    # SMTP replies (RFC 5321 §4.2.3); a 4xx reply is retried, a 5xx reply is final.
    "421": _("The recipient's mail server is busy. The email is sent again automatically."),
    "450": _("The recipient's mailbox is unavailable for now. The email is sent again automatically."),
    "451": _("The recipient's mail server had a temporary problem. The email is sent again automatically."),
    "452": _("The recipient's mail server is short of space for now. The email is sent again automatically."),
    "550": _("The recipient's mail server refused the email: the address may not exist. Check it with the customer."),
    "551": _("The recipient's mail server does not accept mail for this address. Check it with the customer."),
    "552": _("The recipient's mailbox is full, or the email is too large. Try a smaller email later."),
    "553": _("The email address is not valid. Check it with the customer."),
    "554": _("The recipient's mail server rejected the email, possibly as spam. Reply on another channel."),
    # Rate limits of an email service's or Twilio's API
    "429": _("The provider is limiting how fast we send. The message is sent again automatically."),
    # SMS and WhatsApp (channels_app/twilio/outbound.py, and Twilio's status callbacks)
    "no-address": _("The customer has no phone number for this channel. Reply on another channel."),
    "opted-out": _(
        "The customer unsubscribed from SMS (replied STOP). They must text START before we can write again."
    ),
    "network": _("Twilio could not be reached. The message is sent again automatically."),
    "no-answer": _(
        "The provider did not answer in time, so the message may have gone out. It is checked before any new "
        "attempt, and once more later, so it is never sent twice."
    ),
    "21211": _("The phone number is not valid. Check it with the customer."),
    "21408": _("Our Twilio account may not send to this country. Ask an administrator."),
    "21610": _("The customer unsubscribed from SMS (replied STOP). They must text START before we can write again."),
    "21614": _("This number cannot receive SMS (it may be a landline). Reply on another channel."),
    "21617": _("The message is too long for SMS. Shorten it and send again."),
    "30003": _("The customer's phone is switched off or out of reach."),
    "30004": _("The customer's phone or carrier blocked the message."),
    "30005": _("The phone number does not exist or is no longer in service."),
    "30006": _("The number is a landline or its carrier cannot receive SMS."),
    "30007": _("The carrier filtered the message as spam. Rephrase it, or reply on another channel."),
    "30008": _("The carrier could not deliver the message, for an unknown reason. Try again later."),
    "63016": _(
        "WhatsApp's 24-hour window is closed: the customer last wrote more than 24 hours ago. "
        "Only an approved template can be sent, or reply on another channel."
    ),
    # LINE (channels_app/line/outbound.py)
    "line-no-user": _("The customer has no LINE account we know of. Reply on another channel."),
    "line-unfollowed": _(
        "The customer blocked our LINE account (unfollowed), so LINE delivers nothing to them. "
        "Reply on another channel; they can add the account as a friend again."
    ),
    "line-quota": _(
        "Our LINE plan's monthly message quota is used up, so LINE refuses more push messages this month. "
        "Ask an administrator to raise the plan, or reply on another channel."
    ),
    "line-rate-limit": _("LINE is limiting how fast we send. The message is sent again automatically."),
    "line-unavailable": _("LINE is unavailable for now. The message is sent again automatically."),
    "line-network": _("LINE could not be reached. The message is sent again automatically."),
    "line-auth": _("LINE refused our channel access token. Ask an administrator to check the LINE settings."),
    "line-400": _("LINE refused the message as invalid. The detail shows LINE's answer."),
    "line-reply-lost": _(
        "LINE did not answer the free reply in time, so it may have reached the customer. "
        "Check with them before sending it again."
    ),
    # Messenger and Instagram (channels_app/meta/outbound.py)
    "meta-no-user": _("The customer has no Messenger or Instagram account we know of. Reply on another channel."),
    "meta-window": _(
        "Meta's messaging window is closed: the customer last wrote more than 7 days ago (24 hours for automatic "
        "messages). Wait for them to write again, or reply on another channel."
    ),
    "meta-rate-limit": _("Meta is limiting how fast we send. The message is sent again automatically."),
    "meta-unavailable": _("This person cannot receive messages from the page right now. Reply on another channel."),
    "meta-unavailable-api": _("Meta is unavailable for now. The message is sent again automatically."),
    "meta-network": _("Meta could not be reached. The message is sent again automatically."),
    "meta-auth": _("Meta refused the page access token. Ask an administrator to check the Messenger settings."),
    # Live chat (channels_app/chat/outbound.py)
    "no_chat_visitor": _("Nobody wrote in this ticket by live chat, so no chat window can receive it."),
}


def delivery_error_explanation(*, code: str, stored: str) -> str:
    """The explanation of a delivery error code, or the stored text for a code we do not know."""
    explanation = DELIVERY_ERROR_EXPLANATIONS.get((code or "").strip())
    return str(explanation) if explanation is not None else stored
