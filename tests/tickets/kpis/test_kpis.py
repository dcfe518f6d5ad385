"""KPIs on fixture data that went through the real pipeline and services, with the
expected values worked out by hand in each test."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_user
from tests.tickets.sla.helpers import deliver_now
from tickets.models import Customer, Role, Survey, Ticket
from tickets.services.kpi_rollups import rebuild_kpi_rollups
from tickets.services.replies import reply_create
from tickets.services.surveys import survey_answer
from tickets.services.tickets import subject_token, ticket_assign, ticket_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def deliver(*args, **kwargs):
        return deliver_now(django_capture_on_commit_callbacks, *args, **kwargs)

    return deliver


def _resolve(ticket, agent, capture):
    ticket.refresh_from_db()
    with capture(execute=True):
        ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)


def kpis(client, **params):
    response = client.get("/api/v1/kpis/", params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def october(clock, agent, run, django_capture_on_commit_callbacks, settings):
    """Four tickets opened on Thursday 1 October 2026, each with a story:
    A (email): one reply, resolved; the customer SMSes 3 days later -> not FCR.
    B (WhatsApp): one reply, resolved; answers the survey, then SMSes 8 days later -> FCR.
    C (email): two replies -> not FCR.
    D (email): one reply, reopened by the customer, resolved again -> not FCR."""
    settings.HELPDESK_SURVEY_KINDS = ["csat"]
    capture = django_capture_on_commit_callbacks
    clock.set("2026-10-01 10:00")
    a = run("email", "a@example.com", "Where is my parcel?", subject="Parcel").ticket
    b = run("whatsapp", "whatsapp:+66820000002", "สวัสดีค่ะ บัตรใช้ไม่ได้").ticket
    c = run("email", "c@example.com", "Invoice wrong", subject="Invoice").ticket
    d = run("email", "d@example.com", "Password reset", subject="Password").ticket
    clock.set("2026-10-01 10:10")
    reply_create(ticket=c, author=agent, text="Looking into it.")
    clock.set("2026-10-01 10:20")
    reply_create(ticket=d, author=agent, text="Here is the link.")
    clock.set("2026-10-01 10:30")
    reply_create(ticket=a, author=agent, text="It arrives tomorrow.")
    reply_create(ticket=b, author=agent, text="แก้ไขให้แล้วค่ะ")
    clock.set("2026-10-01 10:40")
    reply_create(ticket=c, author=agent, text="Fixed invoice attached.")
    clock.set("2026-10-01 11:00")
    for ticket in (a, b, c, d):
        _resolve(ticket, agent, capture)
    clock.set("2026-10-01 12:00")
    run("email", "d@example.com", "Still can't log in", subject=f"Re: Password {subject_token(d)}")
    clock.set("2026-10-01 13:00")
    _resolve(d, agent, capture)
    clock.set("2026-10-02 09:00")
    survey = Survey.objects.get(ticket=b)
    assert survey.channel == "whatsapp"
    run("whatsapp", "whatsapp:+66820000002", "๕")  # the survey answer: no contact
    clock.set("2026-10-04 11:00")
    run("sms", "+66810000001", "Parcel still not here", sender_extra_addresses=["a@example.com"])
    clock.set("2026-10-09 12:00")
    run("sms", "+66820000002", "New question about fees")
    clock.set("2026-11-01 12:00")
    return {"a": a, "b": b, "c": c, "d": d}


def test_fcr_and_times_on_hand_computed_fixture_data(october, agent_client):
    data = kpis(agent_client, **{"from": "2026-10-01", "to": "2026-10-01"})
    # Only B resolved on first contact: A's customer came back on SMS within 7 days,
    # C got two replies, D was reopened. B's survey answer and its SMS 8 days later do not count.
    assert data["fcr_rate"] == 0.25
    assert data["fcr"]["resolved_first_contact"] == 1 and data["fcr"]["judged"] == 4
    # First responses: C 600 s, D 1200 s, A and B 1800 s, all within opening hours.
    # Median (1200+1800)/2 = 1500; p90 at position 0.9*3 = 2.7 -> 1800.
    assert data["first_response_time"] == {
        "count": 4, "median_s": 1500.0, "p90_s": 1800.0, "business_median_s": 1500.0, "business_p90_s": 1800.0,
    }  # fmt: skip
    # Resolutions: A, B, C after 3600 s, D after 10800 s. p90: 3600 + 0.7 * 7200 = 8640.
    assert data["resolution_time"]["median_s"] == 3600.0
    assert data["resolution_time"]["p90_s"] == 8640.0
    assert data["resolution_time"]["business_p90_s"] == 8640.0
    assert data["reopen_rate"] == 0.25
    assert data["escalation_rate"] == 0.0 and data["escalated"] == 0
    assert data["volume"] == 4
    assert {k: v for k, v in data["volume_by_channel"].items() if v} == {"email": 3, "whatsapp": 1}
    # Active now: the two SMS tickets of October 4 and 9. At the end of October 1: none.
    assert data["backlog"] == {"now": 2, "end_of_range": 0}
    assert data["csat"]["responses"] == 0  # B answered on October 2
    csat = kpis(agent_client, **{"from": "2026-10-02", "to": "2026-10-02"})["csat"]
    assert (csat["average"], csat["responses"], csat["satisfied_pct"]) == (5.0, 1, 100.0)


def test_the_repeat_contact_window_is_what_decides(october, agent_client):
    by_channel = kpis(agent_client, **{"from": "2026-10-01", "to": "2026-10-01", "channel": "whatsapp"})
    assert by_channel["fcr_rate"] == 1.0  # B: the survey answer and the SMS on day 8 do not count
    email = kpis(agent_client, **{"from": "2026-10-01", "to": "2026-10-01", "channel": "email"})
    assert email["fcr_rate"] == 0.0
    # Had B's SMS come on day 3 instead, B would not be FCR either.
    Ticket.objects.filter(channel="sms", customer=october["b"].customer).update(created_at=october["b"].resolved_at)
    october["b"].customer.messages.filter(channel="sms").update(created_at=october["b"].resolved_at.replace(day=4))
    rebuild_kpi_rollups()  # the history was edited around the services
    assert kpis(agent_client, **{"from": "2026-10-01", "to": "2026-10-01"})["fcr_rate"] == 0.0


def test_tickets_resolved_inside_the_window_are_provisional(clock, agent, run, agent_client, django_capture_on_commit_callbacks):
    clock.set("2026-11-20 10:00")
    ticket = run("email", "e@example.com", "Quick question", subject="Q").ticket
    reply_create(ticket=ticket, author=agent, text="Answer")
    _resolve(ticket, agent, django_capture_on_commit_callbacks)
    clock.set("2026-11-22 10:00")
    data = kpis(agent_client, **{"from": "2026-11-20", "to": "2026-11-22"})
    assert data["fcr_rate"] is None
    assert data["fcr"]["provisional"] == {"rate": 1.0, "resolved_first_contact": 1, "resolved": 1}


def test_ces_average_and_distribution(clock, agent_client, settings):
    """40, 20, 5, 15 and 20 answers for the scores 5 down to 1 give 3.45 on a 1-5 scale."""
    settings.HELPDESK_CES_SCALE = 5
    clock.set("2026-11-02 10:00")
    customer = Customer.objects.create(name="Many answers")
    ticket = Ticket.objects.create(subject="s", channel="sms", customer=customer, status="resolved")
    answers = {5: 40, 4: 20, 3: 5, 2: 15, 1: 20}
    number = 0
    for score, count in answers.items():
        for _ in range(count):
            number += 1
            survey = Survey.objects.create(
                ticket=ticket, customer=customer, resolution_number=number, kind="ces", channel="sms", scale_max=5
            )
            survey_answer(survey=survey, score=score)
    data = kpis(agent_client, **{"from": "2026-11-02", "to": "2026-11-02"})
    # (5*40 + 4*20 + 3*5 + 2*15 + 1*20) / 100 = 345 / 100
    assert data["ces"] == {
        "scale": 5, "average": 3.45, "responses": 100, "distribution": {"1": 20, "2": 15, "3": 5, "4": 20, "5": 40},
    }  # fmt: skip


def test_csat_and_nps(clock, agent_client):
    clock.set("2026-11-02 10:00")
    customer = Customer.objects.create(name="Scores")
    ticket = Ticket.objects.create(subject="s", channel="sms", customer=customer, status="resolved")
    for number, (kind, score, high) in enumerate(
        [("csat", 5, 5), ("csat", 4, 5), ("csat", 2, 5), ("nps", 10, 10), ("nps", 9, 10), ("nps", 7, 10), ("nps", 3, 10)],
        start=1,
    ):
        survey = Survey.objects.create(
            ticket=ticket, customer=customer, resolution_number=number, kind=kind, channel="sms", scale_min=0 if kind == "nps" else 1, scale_max=high
        )
        survey_answer(survey=survey, score=score)
    data = kpis(agent_client, **{"from": "2026-11-02", "to": "2026-11-02"})
    # Unrounded: only what a person reads is rounded.
    assert data["csat"]["average"] == 11 / 3
    assert data["csat"]["satisfied_pct"] == 100 * 2 / 3
    # 2 promoters, 1 passive, 1 detractor of 4: 50% - 25%.
    assert data["nps"]["score"] == 25.0
    assert (data["nps"]["promoters"], data["nps"]["passives"], data["nps"]["detractors"]) == (2, 1, 1)


def test_percentiles_interpolate_like_percentile_cont(clock, agent_client):
    clock.set("2026-11-02 10:00")
    customer = Customer.objects.create(name="Times")
    for seconds in (10, 20, 30, 40):
        Ticket.objects.create(
            subject="s", channel="email", customer=customer, created_at=clock.now, first_response_s=seconds,
            first_response_business_s=seconds * 2,
        )  # fmt: skip
    rebuild_kpi_rollups()  # the tickets were written around the services
    data = kpis(agent_client, **{"from": "2026-11-02", "to": "2026-11-02"})
    assert data["first_response_time"] == {
        "count": 4, "median_s": 25.0, "p90_s": 37.0, "business_median_s": 50.0, "business_p90_s": 74.0,
    }  # fmt: skip


def _count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        kpis(client, **params)
    return len(queries)


def test_a_constant_number_of_queries(october, agent_client, agent, clock, run, django_capture_on_commit_callbacks):
    params = {"from": "2026-10-01", "to": "2026-10-31", "detail": "true"}
    first = _count_queries(agent_client, params)
    for n in range(6):
        clock.set(f"2026-10-1{n} 10:00")
        ticket = run("chat", f"chat:v-{n}", "hi").ticket
        reply_create(ticket=ticket, author=agent, text="hello")
        _resolve(ticket, agent, django_capture_on_commit_callbacks)
    clock.set("2026-11-20 10:00")
    assert _count_queries(agent_client, params) == first
    # Every number, the trend and the agent table: a handful of queries, the request's included,
    # and the refresh of the stale days (then of their months, from the days just written).
    # (SQLite refreshes the stale days of the rollups one statement at a time.)
    assert first <= (17 if connection.vendor == "postgresql" else 44)


def test_filters_trend_and_agent_table(october, agent_client, agent):
    data = kpis(agent_client, **{"from": "2026-09-30", "to": "2026-10-02", "agent": agent.pk, "detail": "1"})
    assert data["volume"] == 0  # the tickets were never assigned
    data = kpis(agent_client, **{"from": "2026-09-30", "to": "2026-10-02", "detail": "1"})
    assert [day["volume"] for day in data["trend"]] == [0, 4, 0]
    assert data["trend"][1]["first_response_median_s"] == 1500.0
    assert data["trend"][1]["fcr_rate"] == 0.25
    assert data["agents"] == [
        {"agent": agent.pk, "name": "agent1", "replies": 5, "fcr_rate": None, "first_response_median_s": None, "csat": None}
    ]


def test_the_agent_table_counts_the_fcr_of_the_tickets_each_agent_holds(october, agent_client, agent):
    # A (not FCR) and B (FCR) assigned to the agent; C and D (neither FCR) stay unassigned.
    for key in ("a", "b"):
        ticket_assign(ticket=october[key], assignee=agent, actor=agent)
    data = kpis(agent_client, **{"from": "2026-10-01", "to": "2026-10-01", "detail": "1"})
    assert data["fcr_rate"] == 0.25
    assert data["trend"][0]["fcr_rate"] == 0.25
    assert [(row["agent"], row["fcr_rate"]) for row in data["agents"]] == [(agent.pk, 0.5)]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"from": "2026-13-01", "to": "2026-10-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-10-02", "to": "2026-10-01"}, "must not be after"),
        ({"channel": "fax"}, "channel"),
        ({"team": "x"}, "team"),
        ({"team": "999"}, "no team"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "366 days"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(agent_client, params, message):
    response = agent_client.get("/api/v1/kpis/", params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_only_staff_see_the_numbers(anon_client, roles):
    assert anon_client.get("/api/v1/kpis/").status_code in (401, 403)
    customer_user = make_user("customer1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=customer_user).key}")
    assert client.get("/api/v1/kpis/").status_code == 403
    supervisor = make_user("sup2", roles=[Role.SUPERVISOR])
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=supervisor).key}")
    assert client.get("/api/v1/kpis/").status_code == 200
