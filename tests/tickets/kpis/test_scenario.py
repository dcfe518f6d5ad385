"""One scenario across email, SMS, WhatsApp and chat, every survey question answered
on each channel, with every expected KPI worked out by hand in the comments.

Monday 5 October 2026, Bangkok, default opening hours 09:00-18:00 (so business
seconds equal wall-clock seconds for everything below). Each ticket opens at 10:00.
  E  email     reply 10:30, resolved 11:00; answers the survey page: CSAT 5, CES 6, NPS 10.
  S  SMS       reply 10:20, resolved 11:00; answers "4", "๗", "8" one question at a time;
               emails again on 7 October 11:00, 2 days later: a repeat contact -> not FCR.
  W  WhatsApp  reply 10:40, resolved 11:00; answers 3, 2, 6; SMSes on 12 October at
               11:00:01, 7 days and 1 second later: outside the window -> FCR.
  C1 chat      replies 10:05 and 10:10 in the live session, resolved 10:15, the customer
               leaves 10:20 -> FCR (two lines in one session count as one contact);
               rates 5, 7, 9 in the widget.
  C2 chat      reply 10:03, the customer leaves 10:06, reply by email 10:30, resolved
               10:45 -> two replies outside a session, not FCR; rates 2, 3, 7.
  R  email     reply 10:10, resolved 11:00, the customer writes back 12:00 (reopen),
               reply 12:30, resolved 13:00 -> not FCR; answers only CSAT 4 on the page.
Judged on 20 October, when every window has passed."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.tickets.sla.helpers import deliver_now
from tickets.models import ChatSessionLog, Message, Survey, Ticket
from tickets.services.chat_sessions import ChatTouch, chat_session_end, chat_sessions_touch
from tickets.services.replies import reply_create
from tickets.services.surveys import survey_answer, survey_expire_sweep, survey_pending_for, survey_signed_token
from tickets.services.tickets import subject_token, ticket_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(clock, agent, settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_SURVEY_KINDS = ["csat", "ces", "nps"]
    settings.HELPDESK_CES_SCALE = 7
    settings.FCR_WINDOW_DAYS = 7
    capture = django_capture_on_commit_callbacks

    def run(*args, **kwargs):
        return deliver_now(capture, *args, **kwargs)

    def resolve(ticket):
        ticket.refresh_from_db()
        with capture(execute=True):
            ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)

    def chat(visitor, text):
        ticket = run("chat", f"chat:{visitor}", text, metadata={"visitor": visitor}).ticket
        # What the chat consumer does after each of the customer's messages.
        chat_sessions_touch([ChatTouch(ticket.pk, ticket.customer_id, visitor, timezone.now())])
        return ticket

    def rate(ticket, score):
        """The widget's rating card: the pending question of the chat, answered."""
        survey = Survey.objects.get(ticket=ticket, status=Survey.Status.SENT)
        pending = survey_pending_for(survey_id=survey.pk, customer=ticket.customer, channel="chat")
        with capture(execute=True):
            survey_answer(survey=pending, score=score)

    clock.set("2026-10-05 10:00")
    t = {
        "E": run("email", "e@example.com", "My order is wrong", subject="Order").ticket,
        "S": run("sms", "+66810000011", "Card blocked").ticket,
        "W": run("whatsapp", "whatsapp:+66820000022", "สมัครแพ็กเกจไม่ได้ค่ะ").ticket,
        "C1": chat("visitor-one", "Hello, my login fails"),
        "C2": chat("visitor-two", "Where is my refund?"),
        "R": run("email", "r@example.com", "Cannot reset password", subject="Password").ticket,
    }
    for at, key, channel in [
        ("10:03", "C2", None), ("10:05", "C1", None), ("10:10", "C1", None), ("10:10", "R", None),
        ("10:20", "S", None), ("10:30", "E", None), ("10:40", "W", None),
    ]:  # fmt: skip
        clock.set(f"2026-10-05 {at}")
        reply_create(ticket=t[key], author=agent, text=f"Answer at {at}", channel=channel)
    clock.set("2026-10-05 10:06")
    chat_session_end(ticket_id=t["C2"].pk, reason=ChatSessionLog.EndReason.CUSTOMER_LEFT)
    clock.set("2026-10-05 10:15")
    resolve(t["C1"])
    clock.set("2026-10-05 10:20")
    chat_session_end(ticket_id=t["C1"].pk, reason=ChatSessionLog.EndReason.CUSTOMER_LEFT)
    clock.set("2026-10-05 10:30")
    reply_create(ticket=t["C2"], author=agent, text="Your refund left today.", channel="email")
    clock.set("2026-10-05 10:45")
    resolve(t["C2"])
    clock.set("2026-10-05 11:00")
    for key in ("E", "S", "W", "R"):
        resolve(t[key])
    clock.set("2026-10-05 12:00")
    run("email", "r@example.com", "Still cannot log in", subject=f"Re: Password {subject_token(t['R'])}")
    clock.set("2026-10-05 12:30")
    reply_create(ticket=t["R"], author=agent, text="Try this link.")
    clock.set("2026-10-05 13:00")
    resolve(t["R"])

    clock.set("2026-10-05 15:00")
    # One question at a time on SMS: only CSAT was asked at the resolution.
    assert list(Survey.objects.filter(ticket=t["S"]).values_list("kind", flat=True)) == ["csat"]
    for text in ("4", "๗", "8"):
        run("sms", "+66810000011", text)
    for text in ("3", "2", "6"):
        run("whatsapp", "whatsapp:+66820000022", text)
    for score in (5, 7, 9):
        rate(t["C1"], score)
    for score in (2, 3, 7):
        rate(t["C2"], score)
    page = Client()
    e_surveys = {s.kind: s for s in Survey.objects.filter(ticket=t["E"])}
    answers = {f"s{e_surveys[k].pk}-score": v for k, v in (("csat", 5), ("ces", 6), ("nps", 10))}
    assert page.post(f"/survey/{survey_signed_token(e_surveys['csat'])}/", answers).status_code == 200
    r_csat = Survey.objects.get(ticket=t["R"], kind="csat")
    assert page.post(f"/survey/{survey_signed_token(r_csat)}/", {f"s{r_csat.pk}-score": 4}).status_code == 200

    clock.set("2026-10-07 11:00")
    run("email", "s.customer@example.com", "Card still blocked", subject="Card", sender_extra_addresses=["+66810000011"])
    clock.set("2026-10-12 11:00:01")
    run("sms", "+66820000022", "New question about roaming")
    clock.set("2026-10-20 09:00")
    return t


def _get(client, path, params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_every_figure_by_hand(scenario, agent_client):
    t = scenario
    day = {"from": "2026-10-05", "to": "2026-10-05"}
    data = _get(agent_client, "/api/v1/kpis/", day)
    # Surveys answered on every channel; none reopened a ticket or counted as a contact.
    for key in t:
        t[key].refresh_from_db()
    assert [t[k].reopen_count for k in ("E", "S", "W", "C1", "C2", "R")] == [0, 0, 0, 0, 0, 1]
    assert {t[k].status for k in ("E", "S", "W", "C1", "C2")} == {"resolved"}
    answered = Survey.objects.filter(status="answered").values_list("channel", "kind")
    assert set(answered) == {(c, k) for c in ("email", "sms", "whatsapp", "chat") for k in ("csat", "ces", "nps")}

    # Resolved on 5 October: E, S, W, C1, C2, R = 6, all judged (windows ended by 12 October).
    # FCR: E (one reply), W (its SMS came 1 s after the window), C1 (in session) = 3.  3 / 6 = 0.5
    assert data["fcr"]["judged"] == 6 and data["fcr"]["resolved_first_contact"] == 3
    assert data["fcr_rate"] == 0.5
    # R reopened: 1 of 6.
    assert data["reopened"] == 1 and data["reopen_rate"] == 1 / 6
    # First responses: C2 180, C1 300, R 600, S 1200, E 1800, W 2400.
    # Median (600 + 1200) / 2 = 900; p90 at 0.9 * 5 = 4.5: 1800 + 0.5 * 600 = 2100.
    assert data["first_response_time"] == {
        "count": 6, "median_s": 900.0, "p90_s": 2100.0, "business_median_s": 900.0, "business_p90_s": 2100.0,
    }  # fmt: skip
    # Resolutions: C1 900, C2 2700, E S W 3600, R 10800 (10:00 -> 13:00).
    # Median (3600 + 3600) / 2 = 3600; p90 at 4.5: 3600 + 0.5 * (10800 - 3600) = 7200.
    assert data["resolution_time"]["median_s"] == 3600.0 and data["resolution_time"]["p90_s"] == 7200.0
    assert data["resolution_time"]["business_p90_s"] == 7200.0
    # CSAT: E 5, S 4, W 3, C1 5, C2 2, R 4 = 23 / 6 = 3.8333..., unrounded.
    # Satisfied (4 or 5): E, S, C1, R = 4 of 6 = 66.666...%.
    assert data["csat"]["responses"] == 6
    assert data["csat"]["average"] == 23 / 6
    assert data["csat"]["satisfied_pct"] == 100 * 4 / 6
    # CES on 1-7: E 6, S 7, W 2, C1 7, C2 3 = 25 / 5 = 5.0.
    assert (data["ces"]["average"], data["ces"]["responses"], data["ces"]["scale"]) == (5.0, 5, 7)
    assert data["ces"]["distribution"] == {"1": 0, "2": 1, "3": 1, "4": 0, "5": 0, "6": 1, "7": 2}
    # NPS: E 10 and C1 9 promoters; S 8 and C2 7 passives; W 6 detractor: 100 * (2 - 1) / 5 = 20.
    assert data["nps"]["score"] == 20.0
    assert (data["nps"]["promoters"], data["nps"]["passives"], data["nps"]["detractors"]) == (2, 2, 1)


def test_the_rows_behind_fcr_explain_each_ticket(scenario, agent_client):
    t = scenario
    params = {"from": "2026-10-05", "to": "2026-10-05", "metric": "fcr"}
    rows = {row["ticket"]: row for row in _get(agent_client, "/api/v1/kpis/rows/", params)["results"]}
    assert len(rows) == 6
    e, s, w, c1, c2, r = (rows[t[k].pk] for k in ("E", "S", "W", "C1", "C2", "R"))
    assert (e["fcr"], e["fcr_reason"], e["agent_replies"], e["first_response_s"]) == (True, None, 1, 1800)
    # S's customer emailed on 7 October at 11:00, 2 days = 172800 s after 11:00 on the 5th.
    assert (s["fcr"], s["fcr_reason"]) == (False, "repeat_contact")
    assert s["repeat_contact"] == {"channel": "email", "after_s": 172800.0}
    # W's SMS came 7 days and 1 s after: outside the window, so no repeat contact.
    assert (w["fcr"], w["repeat_contact"]) == (True, None)
    assert (c1["fcr"], c1["agent_replies"], c1["resolved_in_chat_session"]) == (True, 2, True)
    assert (c2["fcr"], c2["fcr_reason"], c2["resolved_in_chat_session"]) == (False, "several_replies", False)
    assert (r["fcr"], r["fcr_reason"], r["reopens"]) == (False, "reopened", 1)
    # R: 10:00 -> 13:00 = 10800 s, all within opening hours.
    assert (r["resolution_s"], r["resolution_business_s"]) == (10800, 10800)


def test_the_rows_behind_a_survey_figure(scenario, agent_client):
    params = {"from": "2026-10-05", "to": "2026-10-05", "metric": "nps"}
    rows = _get(agent_client, "/api/v1/kpis/rows/", params)["results"]
    assert sorted((row["channel"], row["score"]) for row in rows) == [
        ("chat", 7), ("chat", 9), ("email", 10), ("sms", 8), ("whatsapp", 6),
    ]  # fmt: skip


def test_the_rows_take_a_constant_number_of_queries(scenario, agent_client, agent, clock, django_capture_on_commit_callbacks):
    params = {"from": "2026-10-01", "to": "2026-10-31", "metric": "fcr"}

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _get(agent_client, "/api/v1/kpis/rows/", params)
        return len(queries)

    before = count()
    for n in range(5):
        clock.set(f"2026-10-1{n} 10:00")
        ticket = deliver_now(django_capture_on_commit_callbacks, "sms", f"+6681000010{n}", "hi").ticket
        reply_create(ticket=ticket, author=agent, text="hello")
        with django_capture_on_commit_callbacks(execute=True):
            ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    clock.set("2026-10-25 10:00")
    assert count() == before


def test_a_question_left_unanswered_ends_the_conversation(clock, agent, settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_SURVEY_KINDS = ["ces", "csat"]
    settings.HELPDESK_SURVEY_REPLY_WINDOW_HOURS = 72
    capture = django_capture_on_commit_callbacks
    clock.set("2026-10-05 10:00")
    ticket = deliver_now(capture, "sms", "+66810000077", "Help").ticket
    reply_create(ticket=ticket, author=agent, text="Done")
    with capture(execute=True):
        ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    survey = Survey.objects.get(ticket=ticket)
    assert survey.kind == "ces"  # the team's order
    clock.set("2026-10-08 10:00:01")  # 72 h and 1 s later
    assert survey_expire_sweep() == 1
    assert survey_expire_sweep() == 0  # the sweep is idempotent
    late = deliver_now(capture, "sms", "+66810000077", "5").message
    survey.refresh_from_db()
    assert survey.status == "expired"
    # The late digit is an ordinary message now, and no next question was asked.
    assert late.is_automatic is False
    assert Survey.objects.filter(ticket=ticket).count() == 1
    assert not Message.objects.filter(ticket=ticket, metadata__survey__kind="csat").exists()
