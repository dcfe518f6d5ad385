"""Surveys after a resolution: sent once on the customer's channel, answered by SMS
or WhatsApp (intercepted before a ticket is found), by the email link, or inline."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tickets.models import Customer, Message, Survey, SurveyOptOut, Ticket
from tickets.services.autoack import CHANNEL_COMMAND
from tickets.services.replies import reply_create
from tickets.services.surveys import SurveyError, survey_answer, survey_link, survey_signed_token
from tickets.services.tickets import subject_token, ticket_add_tags, ticket_set_status

pytestmark = pytest.mark.django_db


def test_an_sms_answer_in_thai_digits_is_recorded_and_opens_nothing(run, resolve, agent, outbox, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    settings.HELPDESK_SURVEY_KINDS = ["csat"]
    ticket = run("sms", "+66840000001", "My bill is wrong").ticket
    reply_create(ticket=ticket, author=agent, text="Fixed, sorry!")
    resolve(ticket)
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.kind, survey.channel, survey.resolution_number, survey.status) == ("csat", "sms", 1, "sent")
    question = Message.objects.get(pk=survey.message_id)
    assert question.is_automatic and question.direction == "out" and "1" in question.text and "5" in question.text
    assert question.metadata["survey"]["id"] == survey.pk

    result = run("sms", "+66840000001", "๕ ขอบคุณค่ะ")
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.status) == (5, "ขอบคุณค่ะ", "answered")
    assert result.message.ticket_id == ticket.pk and result.message.is_automatic
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.reopen_count == 0
    assert Ticket.objects.filter(customer=ticket.customer).count() == 1
    # The survey was answered: a second "4" is an ordinary message, a new contact.
    again = run("sms", "+66840000001", "4")
    assert again.ticket.pk != ticket.pk and not again.message.is_automatic
    assert Survey.objects.get(pk=survey.pk).score == 5


def test_one_question_at_a_time_in_the_teams_order(run, resolve, agent, settings):
    """Resolving asks the first question only; each answer brings the next, on the
    same channel, until the last; none of it reopens the ticket."""
    settings.HELPDESK_AUTOACK_ENABLED = False
    settings.HELPDESK_SURVEY_KINDS = ["nps", "csat", "ces"]
    settings.HELPDESK_CES_SCALE = 7
    ticket = run("whatsapp", "whatsapp:+66840000009", "Roaming does not work").ticket
    reply_create(ticket=ticket, author=agent, text="Switched on for you")
    resolve(ticket)

    def asked() -> list[str]:
        questions = Message.objects.filter(ticket=ticket, direction="out", is_automatic=True, metadata__has_key="survey")
        return [m.metadata["survey"]["kind"] for m in questions.order_by("id")]

    assert asked() == ["nps"]
    run("whatsapp", "whatsapp:+66840000009", "10")
    assert asked() == ["nps", "csat"]
    run("whatsapp", "whatsapp:+66840000009", "4")
    assert asked() == ["nps", "csat", "ces"]
    run("whatsapp", "whatsapp:+66840000009", "6")  # on the 1-7 CES scale
    assert asked() == ["nps", "csat", "ces"]
    scores = dict(Survey.objects.filter(ticket=ticket).values_list("kind", "score"))
    assert scores == {"nps": 10, "csat": 4, "ces": 6}
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.reopen_count == 0


def test_a_whatsapp_question_uses_the_quick_reply_template_when_there_is_one(run, resolve, agent, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    settings.HELPDESK_SURVEY_KINDS = ["csat"]
    settings.HELPDESK_WHATSAPP_SURVEY_CONTENT_SIDS = {"csat": "HX0123456789abcdef0123456789abcdef"}
    ticket = run("whatsapp", "whatsapp:+66840000010", "Help").ticket
    reply_create(ticket=ticket, author=agent, text="Done")
    resolve(ticket)
    question = Message.objects.get(pk=Survey.objects.get(ticket=ticket).message_id)
    assert question.metadata["content_sid"] == "HX0123456789abcdef0123456789abcdef"
    # A button answers with its digit, like a typed one.
    run("whatsapp", "whatsapp:+66840000010", "5")
    assert Survey.objects.get(ticket=ticket).score == 5


def test_a_reply_that_is_not_an_answer_is_a_contact_as_usual(run, resolve, agent, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    ticket = run("whatsapp", "whatsapp:+66840000002", "Card blocked").ticket
    reply_create(ticket=ticket, author=agent, text="Unblocked")
    resolve(ticket)
    words = run("whatsapp", "whatsapp:+66840000002", "It is blocked again")
    off_scale = run("whatsapp", "whatsapp:+66840000002", "9")  # off the 1-5 scale: not an answer
    assert not words.message.is_automatic and not off_scale.message.is_automatic
    assert words.ticket.pk != ticket.pk
    assert Survey.objects.get(ticket=ticket).status == "sent"
    # On another channel than the survey's, a number is not an answer either.
    sms = run("sms", "+66840000002", "5")
    assert not sms.message.is_automatic
    assert Survey.objects.get(ticket=ticket).status == "sent"


def test_one_survey_per_resolution_and_none_too_often(run, resolve, agent, clock, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    settings.HELPDESK_SURVEY_KINDS = ["csat"]
    clock.set("2026-11-02 10:00")
    ticket = run("email", "y@example.com", "Question", subject="Question").ticket
    reply_create(ticket=ticket, author=agent, text="Answer")
    resolve(ticket)
    resolve(ticket)  # the same resolution again: nothing new
    assert Survey.objects.filter(ticket=ticket).count() == 1
    clock.set("2026-11-03 10:00")
    other = run("email", "y@example.com", "Another", subject="Another").ticket
    reply_create(ticket=other, author=agent, text="Answer")
    resolve(other)
    assert not Survey.objects.filter(ticket=other).exists()  # surveyed yesterday
    clock.set("2026-11-12 10:00")
    run("email", "y@example.com", "Back again", subject=f"Re: {subject_token(ticket)}")  # reopens the first
    resolve(ticket)
    assert list(Survey.objects.filter(ticket=ticket).values_list("resolution_number", flat=True).order_by("id")) == [1, 2]


def test_no_survey_for_spam_closed_or_opted_out(run, resolve, agent, settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_AUTOACK_ENABLED = False
    spam = run("email", "spam@example.com", "Buy now", subject="Offer").ticket
    ticket_add_tags(ticket=spam, names=["spam"])
    resolve(spam)
    closed = run("email", "c@example.com", "hi", subject="Hi").ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=closed, status=Ticket.Status.CLOSED, actor=agent)
    quiet = run("email", "q@example.com", "hi", subject="Hi").ticket
    SurveyOptOut.objects.create(customer=quiet.customer)
    resolve(quiet)
    # A ticket opened only by SMS keywords (HELP, then STOP) asked the team nothing.
    keywords = run("sms", "+66812223333", "HELP", metadata={CHANNEL_COMMAND: True}).ticket
    run("sms", "+66812223333", "STOP", metadata={CHANNEL_COMMAND: True})
    resolve(keywords)
    assert not Survey.objects.exists()
    # A ticket with a real question among the keywords does get its survey.
    run("sms", "+66812223333", "START", metadata={CHANNEL_COMMAND: True})
    question = run("sms", "+66812223333", "Is my order shipped?").ticket
    resolve(question)
    assert Survey.objects.filter(ticket=question).exists()


def test_the_email_link_page_answers_every_question_once_in_thai(run, resolve, agent, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    settings.HELPDESK_SURVEY_KINDS = ["csat", "ces", "nps"]
    ticket = run("email", "th@example.com", "สวัสดีครับ", subject="คำถาม", language="th").ticket
    reply_create(ticket=ticket, author=agent, text="ตอบแล้วครับ")
    resolve(ticket)
    surveys = list(Survey.objects.filter(ticket=ticket).order_by("id"))
    assert [(s.kind, s.scale_min, s.scale_max) for s in surveys] == [("csat", 1, 5), ("ces", 1, 7), ("nps", 0, 10)]
    email = Message.objects.get(pk=surveys[0].message_id)
    assert survey_link(surveys[0]) in email.text

    client = Client(enforce_csrf_checks=True)
    url = f"/survey/{survey_signed_token(surveys[0])}/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'<html lang="th">' in page.content  # the customer's language
    token = page.cookies["csrftoken"].value
    assert client.post(url, {f"s{surveys[0].pk}-score": "5"}).status_code == 403  # no CSRF token
    data = {
        "csrfmiddlewaretoken": token,
        f"s{surveys[0].pk}-score": "4",
        f"s{surveys[1].pk}-score": "6",
        f"s{surveys[2].pk}-score": "10",
        f"s{surveys[2].pk}-comment": "<b>ดีมาก</b>",
    }
    answered = client.post(url, data)
    assert answered.status_code == 200 and b'data-testid="survey-thanks"' in answered.content
    again = client.post(url, {**data, f"s{surveys[0].pk}-score": "1"})  # idempotent
    assert again.status_code == 200
    assert [Survey.objects.get(pk=s.pk).score for s in surveys] == [4, 6, 10]
    assert Survey.objects.get(pk=surveys[2].pk).comment == "<b>ดีมาก</b>"


def test_the_link_page_refuses_bad_tokens_and_off_scale_answers(run, resolve, agent, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    settings.HELPDESK_SURVEY_KINDS = ["csat"]
    ticket = run("email", "l@example.com", "hi", subject="Hi").ticket
    resolve(ticket)
    survey = Survey.objects.get(ticket=ticket)
    client = Client()
    assert client.get("/survey/not-a-token/").status_code == 404
    assert client.get(f"/survey/{survey.token}:forged/").status_code == 404
    url = f"/survey/{survey_signed_token(survey)}/?lang=en"
    settings.HELPDESK_SURVEY_LINK_MAX_AGE_DAYS = 30
    Survey.objects.filter(pk=survey.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert client.get(url).status_code == 410
    Survey.objects.filter(pk=survey.pk).update(created_at=timezone.now() - timedelta(days=29))
    response = client.post(url, {f"s{survey.pk}-score": "9"})
    assert response.status_code == 400
    assert Survey.objects.get(pk=survey.pk).status == "sent"
    client.post(url, {"opt_out": "1"})
    assert SurveyOptOut.objects.filter(customer=ticket.customer).exists()


def test_the_page_is_rate_limited(run, resolve, settings):
    settings.HELPDESK_SURVEY_RATE_LIMIT_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="10.9.8.7")
    codes = [client.get("/survey/nothing/").status_code for _ in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def test_inline_answers_from_the_chat_check_the_scale():
    customer = Customer.objects.create(name="Chat")
    ticket = Ticket.objects.create(subject="s", channel="chat", customer=customer, status="resolved")
    survey = Survey.objects.create(ticket=ticket, customer=customer, resolution_number=1, kind="csat", channel="chat")
    with pytest.raises(SurveyError):
        survey_answer(survey=survey, score=6)
    assert survey_answer(survey=survey, score=3, comment="ok").score == 3
    assert survey_answer(survey=survey, score=1).score == 3
