"""The demo's dashboard has something to show on every channel: survey answers,
chat sessions and business-hours times, as `make run` seeds them."""

import io

import pytest
from django.core.management import call_command

from tickets.models import ChatSessionLog, Survey, Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_has_every_survey_answered_on_every_channel(roles, agent_client):
    call_command("seed_demo", tickets=300, seed=2, stdout=io.StringIO(), stderr=io.StringIO())
    answered = set(Survey.objects.filter(status="answered").values_list("channel", "kind"))
    assert {(c, k) for c in ("email", "sms", "whatsapp", "chat") for k in ("csat", "ces", "nps")} <= answered
    # Chats resolved while the customer was there, and after they had gone.
    chats = Ticket.objects.filter(channel="chat", resolved_at__isnull=False)
    live = ChatSessionLog.objects.filter(ticket__in=chats)
    assert live.exists()
    assert {True, False} == {s.ended_at >= s.ticket.resolved_at for s in live.select_related("ticket")}
    assert not Ticket.objects.filter(first_response_at__isnull=False, first_response_business_s__isnull=True).exists()

    data = agent_client.get("/api/v1/kpis/").json()
    assert data["csat"]["average"] is not None and data["ces"]["average"] is not None
    assert data["nps"]["score"] is not None
