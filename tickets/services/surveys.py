"""Surveys after a resolution, on the customer's channel: CSAT (1-5), CES (1-7 by
default, HELPDESK_CES_SCALE=5 for 1-5) and NPS (0-10), the kinds and their order
chosen per team in the console (tickets.services.survey_plans).

Email carries a signed link to /survey/<token>/, one page with every question.
Every other channel holds a short conversation: one question, and the next only
once the one before is answered; a question left unanswered for
HELPDESK_SURVEY_REPLY_WINDOW_HOURS expires (`survey_expire_sweep`) and the
conversation stops there. SMS and WhatsApp customers answer with a number (Thai
digits too; WhatsApp quick-reply buttons where a content template is configured),
which the inbound pipeline hands to `survey_for_reply` before it looks for a
ticket, so an answer never opens or reopens one. The chat widget shows a rating
card and answers through `survey_pending_for` and `survey_answer`, outside the
pipeline: an answer is never a message of the conversation."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import events
from tickets.inbound import InboundMessage
from tickets.models import Channel, Customer, Direction, Message, Survey, SurveyOptOut, Ticket
from tickets.services.autoack import CHANNEL_COMMAND
from tickets.services.kpi_rollups import kpi_days_mark
from tickets.services.replies import reply_create
from tickets.services.survey_plans import survey_plan_kinds

logger = logging.getLogger(__name__)

# Channels where a survey is answered by a message (a digit, or a quick-reply button that sends one).
REPLY_CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.LINE, Channel.MESSENGER, Channel.INSTAGRAM)
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# "5", "๕", "4 - quick and kind", "9/10"
ANSWER = re.compile(r"^\s*(\d{1,2})(?:\s*/\s*\d{1,2})?\s*(?:[-:.,!]\s*)?(.*)$", re.DOTALL)
SIGNING_SALT = "tickets.survey"


class SurveyError(ValueError):
    pass


def survey_scale(kind: str) -> tuple[int, int]:
    if kind == Survey.Kind.NPS:
        return 0, 10
    if kind == Survey.Kind.CES:
        return 1, 5 if settings.HELPDESK_CES_SCALE == 5 else 7
    return 1, 5


SURVEY_WORDING = {
    Survey.Kind.CSAT: (
        gettext_lazy("How satisfied are you with the help you got?"),
        gettext_lazy("very unhappy"),
        gettext_lazy("very happy"),
    ),
    Survey.Kind.CES: (
        gettext_lazy("How easy was it to get your issue solved?"),
        gettext_lazy("very hard"),
        gettext_lazy("very easy"),
    ),
    Survey.Kind.NPS: (
        gettext_lazy("How likely are you to recommend us to a friend?"),
        gettext_lazy("not at all"),
        gettext_lazy("certainly"),
    ),
}


def survey_wording(kind: str) -> tuple[str, str, str]:
    """The question and the words for both ends of its scale."""
    question, low_label, high_label = SURVEY_WORDING[kind]
    return str(question), str(low_label), str(high_label)


def survey_question(kind: str, *, scale: tuple[int, int]) -> str:
    """The question as a text message, answered with a number."""
    question, low_label, high_label = survey_wording(kind)
    how = _("Reply with a number from %(low)s (%(low_label)s) to %(high)s (%(high_label)s).") % {
        "low": scale[0], "high": scale[1], "low_label": low_label, "high_label": high_label,
    }  # fmt: skip
    return f"{question} {how}"


def survey_signed_token(survey: Survey) -> str:
    # No timestamp in the signature: the link is the same however often it is
    # built, and its age is measured from when the survey was sent.
    return signing.Signer(salt=SIGNING_SALT).sign(survey.token)


def survey_link(survey: Survey) -> str:
    return f"{settings.HELPDESK_PUBLIC_URL}/survey/{survey_signed_token(survey)}/"


def survey_by_signed_token(token: str) -> Survey:
    """Raises signing.SignatureExpired for an old link, signing.BadSignature for a forged one."""
    raw = signing.Signer(salt=SIGNING_SALT).unsign(token)
    survey = Survey.objects.select_related("ticket", "customer").filter(token=raw).first()
    if survey is None:
        raise signing.BadSignature("no such survey")
    if timezone.now() - survey.created_at > timedelta(days=settings.HELPDESK_SURVEY_LINK_MAX_AGE_DAYS):
        raise signing.SignatureExpired("the survey link has expired")
    return survey


def _skip_reason(ticket: Ticket, now) -> str:
    if not settings.HELPDESK_SURVEYS_ENABLED:
        return "surveys are off"
    if ticket.status != Ticket.Status.RESOLVED:
        return f"the ticket is {ticket.status}"
    if ticket.first_inbound_at is None:
        return "the customer never wrote"
    asked = ticket.messages.filter(direction=Direction.IN).exclude(metadata__has_key=CHANNEL_COMMAND)
    if not asked.exists():
        return "the customer only sent channel commands (STOP, HELP...)"
    if ticket.tags.filter(name__in=settings.HELPDESK_SURVEY_SKIP_TAGS).exists():
        return "tagged as not to survey"
    customer = ticket.customer
    if customer.erased_at or customer.merged_into_id:
        return "the customer is gone"
    if SurveyOptOut.objects.filter(customer=customer).exists():
        return "the customer opted out"
    since = now - timedelta(days=settings.HELPDESK_SURVEY_MIN_INTERVAL_DAYS)
    if Survey.objects.filter(customer=customer, created_at__gte=since).exists():
        return "surveyed recently"
    return ""


@transaction.atomic
def survey_send(*, ticket_id: int, resolution_number: int) -> list[Survey]:
    """Starts the survey of one resolution, once: email links to a page that asks every
    question; the other channels get the first question, and the next after each answer."""
    ticket = Ticket.objects.select_for_update().select_related("customer").filter(pk=ticket_id).first()
    if ticket is None or ticket.reopen_count + 1 != resolution_number:
        return []
    existing = list(Survey.objects.filter(ticket=ticket, resolution_number=resolution_number))
    if existing:
        return existing
    now = timezone.now()
    reason = _skip_reason(ticket, now)
    if reason:
        logger.info("no survey for ticket %s: %s", ticket.pk, reason)
        return []
    last_inbound = (
        Message.objects.filter(ticket=ticket, direction="in", is_auto_reply=False, is_automatic=False)
        .order_by("-created_at", "-id")
        .values_list("channel", flat=True)
        .first()
    )
    channel = last_inbound or ticket.channel
    kinds = survey_kinds(team_id=ticket.team_id)
    if channel != Channel.EMAIL:
        # One question at a time: the next is created when this one is answered.
        kinds = kinds[:1]
    surveys = [_survey_create(ticket=ticket, resolution_number=resolution_number, kind=kind, channel=channel, now=now) for kind in kinds]
    first = surveys[0]
    if channel == Channel.EMAIL:
        with translation.override(ticket.customer.language or settings.LANGUAGE_CODE):
            text = _("Your request %(ref)s is resolved. Tell us how we did, it takes a few seconds: %(link)s") % {
                "ref": ticket.reference,
                "link": survey_link(first),
            }
        message = reply_create(ticket=ticket, author=None, text=text, channel=channel, is_automatic=True, metadata={})
        Survey.objects.filter(pk__in=[s.pk for s in surveys]).update(message=message)
    else:
        _survey_ask(survey=first)
    return surveys


def survey_kinds(*, team_id: int | None = None) -> list[str]:
    """The questions the team asks, in their order."""
    return survey_plan_kinds(team_id=team_id)


def _survey_create(*, ticket: Ticket, resolution_number: int, kind: str, channel: str, now) -> Survey:
    low, high = survey_scale(kind)
    return Survey.objects.create(
        ticket=ticket, customer=ticket.customer, resolution_number=resolution_number, kind=kind,
        channel=channel, scale_min=low, scale_max=high, created_at=now,
    )  # fmt: skip


def _survey_ask(*, survey: Survey) -> Message:
    """Sends one question on the survey's channel, as an automatic message that carries
    the survey, so the chat widget draws it as a rating card."""
    ticket = survey.ticket
    with translation.override(ticket.customer.language or settings.LANGUAGE_CODE):
        question, low_label, high_label = survey_wording(survey.kind)
        # The chat widget draws buttons; elsewhere the customer answers with a number.
        text = question if survey.channel == Channel.CHAT else survey_question(
            survey.kind, scale=(survey.scale_min, survey.scale_max)
        )
    card = {
        "id": survey.pk, "kind": survey.kind, "scale_min": survey.scale_min, "scale_max": survey.scale_max,
        "low_label": low_label, "high_label": high_label,
    }  # fmt: skip
    metadata: dict = {"survey": card}
    content_sid = settings.HELPDESK_WHATSAPP_SURVEY_CONTENT_SIDS.get(survey.kind, "")
    if survey.channel == Channel.WHATSAPP and content_sid:
        # A quick-reply content template whose buttons answer with the digits.
        metadata |= {"content_sid": content_sid, "content_variables": {"1": text}}
    message = reply_create(
        ticket=ticket, author=None, text=text, channel=survey.channel, is_automatic=True, metadata=metadata
    )
    Survey.objects.filter(pk=survey.pk).update(message=message)
    return message


def survey_ask_next(*, survey: Survey) -> Survey | None:
    """After an answer on a messaging channel or chat: the next question of the same
    resolution, once (the unique constraint holds a second caller back)."""
    if survey.channel == Channel.EMAIL:
        return None
    ticket = Ticket.objects.select_related("customer").get(pk=survey.ticket_id)
    kinds = survey_kinds(team_id=ticket.team_id)
    if survey.kind not in kinds or kinds.index(survey.kind) + 1 >= len(kinds):
        return None
    kind = kinds[kinds.index(survey.kind) + 1]
    if ticket.status == Ticket.Status.CLOSED or ticket.reopen_count + 1 != survey.resolution_number:
        return None  # reopened since: the conversation about that resolution is over
    existing = Survey.objects.filter(ticket=ticket, resolution_number=survey.resolution_number, kind=kind).first()
    if existing is not None:
        return existing
    following = _survey_create(
        ticket=ticket, resolution_number=survey.resolution_number, kind=kind, channel=survey.channel, now=timezone.now()
    )
    _survey_ask(survey=following)
    return following


def survey_expire_sweep(*, now=None) -> int:
    """Questions left unanswered too long expire, and no further question follows.
    An email's page stays open as long as its link."""
    now = now or timezone.now()
    messaging = Q(created_at__lt=now - timedelta(hours=settings.HELPDESK_SURVEY_REPLY_WINDOW_HOURS)) & ~Q(
        channel=Channel.EMAIL
    )
    email = Q(channel=Channel.EMAIL, created_at__lt=now - timedelta(days=settings.HELPDESK_SURVEY_LINK_MAX_AGE_DAYS))
    return Survey.objects.filter(messaging | email, status=Survey.Status.SENT).update(status=Survey.Status.EXPIRED)


def survey_pending_for(*, survey_id: int, customer: Customer, channel: str) -> Survey | None:
    """The survey a customer answers from a channel's own control (the chat widget's
    card): theirs, asked on that channel, not yet answered or expired."""
    return (
        Survey.objects.filter(pk=survey_id, customer=customer, channel=channel, status=Survey.Status.SENT)
        .select_related("ticket")
        .first()
    )


def survey_schedule(*, ticket: Ticket) -> None:
    """After the resolution commits, the survey goes out from a task (through the outbox)."""
    from tickets.services.outbox import outbox_task

    outbox_task("tickets.tasks.send_survey", ticket.pk, ticket.reopen_count + 1)


def parse_answer(text: str) -> tuple[int, str] | None:
    match = ANSWER.match((text or "").translate(THAI_DIGITS))
    if not match:
        return None
    return int(match.group(1)), match.group(2).strip()[:2000]


def survey_for_reply(*, msg: InboundMessage, customer: Customer) -> Survey | None:
    """The pending survey that this SMS or WhatsApp reply answers, if it is one: a
    bare number on the survey's scale, on the channel it was sent on, in time."""
    if msg.channel not in REPLY_CHANNELS or msg.is_auto_reply or msg.attachments:
        return None
    parsed = parse_answer(msg.text)
    if parsed is None:
        return None
    score = parsed[0]
    since = timezone.now() - timedelta(hours=settings.HELPDESK_SURVEY_REPLY_WINDOW_HOURS)
    survey = (
        Survey.objects.select_for_update()
        .filter(customer=customer, channel=msg.channel, status=Survey.Status.SENT, created_at__gte=since)
        .order_by("-created_at", "-id")
        .first()
    )
    if survey is None or not survey.scale_min <= score <= survey.scale_max:
        return None
    return survey


def survey_record_reply(*, survey: Survey, message: Message) -> Survey:
    score, comment = parse_answer(message.text) or (None, "")
    return survey_answer(survey=survey, score=score, comment=comment, message=message)


@transaction.atomic
def survey_answer(*, survey: Survey, score: int | None, comment: str = "", message: Message | None = None) -> Survey:
    """Records the answer once: a second answer (a double click, a resent SMS) changes
    nothing. Raises SurveyError for a score off the scale."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status == Survey.Status.ANSWERED:
        return survey
    if survey.status == Survey.Status.EXPIRED:
        raise SurveyError(_("this survey has closed"))
    if score is None or isinstance(score, bool) or not survey.scale_min <= int(score) <= survey.scale_max:
        raise SurveyError(
            _("the answer must be a number from %(low)s to %(high)s") % {"low": survey.scale_min, "high": survey.scale_max}
        )
    survey.score = int(score)
    survey.comment = (comment or "").strip()[:2000]
    survey.status = Survey.Status.ANSWERED
    survey.answered_at = timezone.now()
    survey.answer_message = message
    survey.save(update_fields=["score", "comment", "status", "answered_at", "answer_message"])
    kpi_days_mark([survey.answered_at])
    events.publish_ticket_changed(survey.ticket, changes={"survey_answered": survey.kind})
    survey_ask_next(survey=survey)
    return survey


def survey_opt_out(*, customer: Customer) -> None:
    SurveyOptOut.objects.get_or_create(customer=customer)
