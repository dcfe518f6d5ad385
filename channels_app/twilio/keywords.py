"""SMS opt-out keywords (STOP, START, HELP and their Thai equivalents), and the
opt-out state they set.

Twilio answers these keywords itself on US and Canadian numbers (and, with Advanced
Opt-Out, marks the webhook with `OptOutType`). Elsewhere, Thai numbers included, the
sender of the SMS must: the webhook answers with TwiML unless Twilio already did
(`OptOutType` present) or TWILIO_KEYWORD_REPLIES is off. See
https://help.twilio.com/articles/223134027 and
https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out

The answer is kept on the customer's timeline, so that agents see what the customer
was told.
"""

from __future__ import annotations

import enum
import re
import uuid

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from channels_app.models import SmsOptOut
from tickets.models import Message
from tickets.services.replies import reply_create


class Keyword(enum.StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


_KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(["stop", "stopall", "unsubscribe", "cancel", "end", "quit"], Keyword.STOP),
    **dict.fromkeys(["start", "unstop", "yes"], Keyword.START),
    **dict.fromkeys(["help", "info"], Keyword.HELP),
    # Thai: "stop", "cancel", "stop receiving", "cancel receiving"; "start", "start again";
    # "help".
    **dict.fromkeys(["หยุด", "ยกเลิก", "เลิกรับ", "ยกเลิกรับ"], Keyword.STOP),
    **dict.fromkeys(["เริ่ม", "เริ่มใหม่", "รับต่อ"], Keyword.START),
    **dict.fromkeys(["ช่วยเหลือ", "ช่วยด้วย"], Keyword.HELP),
}
# Names the idempotency keys of keyword answers, one per inbound MessageSid.
_ANSWER_KEYS = uuid.UUID("48f27b57-5392-4d0e-88ca-ee0a141816c0")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
# Whitespace (zero-width spaces too, which Thai keyboards leave behind) and the
# punctuation people put after a keyword: "Stop." is still STOP.
_IGNORED = re.compile(r"[\s\u200b\u200c\u200d\ufeff.!?,;:'\"]+")


def keyword_of(body: str) -> Keyword | None:
    """The keyword that the whole message is, or None. "Please stop calling me" is a
    message, not an opt-out."""
    word = _IGNORED.sub("", body or "").casefold()
    if not word or len(word) > 20:
        return None
    return _KEYWORDS.get(word)


def sms_opted_out(*, phone: str) -> bool:
    return SmsOptOut.objects.filter(phone=phone, opted_out=True).exists()


def sms_optout_record(*, phone: str, keyword: Keyword, written: str = "") -> None:
    """STOP opts the number out of SMS, START opts it back in; HELP changes nothing."""
    if keyword == Keyword.HELP:
        return
    SmsOptOut.objects.update_or_create(
        phone=phone,
        defaults={
            "opted_out": keyword == Keyword.STOP,
            "keyword": " ".join((written or keyword.value).split())[:40],
            "changed_at": timezone.now(),
        },
    )


def keyword_reply(*, keyword: Keyword, written: str) -> str:
    """The confirmation a carrier expects, in the language the customer wrote in."""
    language = "th" if _THAI.search(written or "") else "en"
    with translation.override(language):
        if keyword == Keyword.STOP:
            return gettext("You have been unsubscribed and will receive no more messages. Reply START to resubscribe.")
        if keyword == Keyword.START:
            return gettext("You have been resubscribed. Reply STOP to unsubscribe, HELP for help.")
        return settings.TWILIO_HELP_TEXT or gettext(
            "This is our customer support line. Reply to this message and an agent will answer. "
            "Reply STOP to unsubscribe."
        )


def keyword_reply_record(*, inbound: Message, text: str) -> Message:
    """Puts the answer to a keyword on the timeline, after the keyword, in its ticket:
    an automatic reply, which opens, reopens and answers nothing. Twilio sends it from
    the webhook's TwiML, not the delivery task; its status callbacks find it by its
    key. One answer per inbound message, however often the webhook is replayed."""
    return reply_create(
        ticket=inbound.ticket,
        author=None,
        text=text,
        channel=inbound.channel,
        is_automatic=True,
        sent_by_channel=True,
        idempotency_key=uuid.uuid5(_ANSWER_KEYS, f"{inbound.channel}:{inbound.external_id}"),
        metadata={"sms_keyword_answer": inbound.metadata.get("sms_keyword", ""), "in_reply_to": inbound.pk},
    )
