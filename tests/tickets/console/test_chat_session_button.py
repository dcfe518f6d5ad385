"""The agent's "End the chat" button on a chat ticket's page."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import deliver, make_user
from tickets.models import ChatSessionLog, Role
from tickets.services.chat_sessions import ChatTouch, chat_sessions_touch

pytestmark = pytest.mark.django_db


def test_the_agent_ends_the_live_chat_from_the_ticket_page(roles):
    make_user("agent-end", roles=[Role.AGENT])
    ticket = deliver("chat", "chat:visitor-x", "hello", metadata={"visitor": "visitor-x"}).ticket
    chat_sessions_touch([ChatTouch(ticket.pk, ticket.customer_id, "visitor-x", timezone.now())])
    client = Client()
    client.login(username="agent-end", password="pw-agent-end")
    page = client.get(f"/console/tickets/{ticket.pk}/")
    assert page.status_code == 200 and b'data-testid="end-chat"' in page.content

    ended = client.post(f"/console/chat-sessions/{ticket.pk}/end/", follow=True)
    assert ended.status_code == 200 and b'data-testid="end-chat"' not in ended.content
    session = ChatSessionLog.objects.get(ticket=ticket)
    assert session.end_reason == "agent" and session.ended_at is not None
    # A second press changes nothing; a GET is refused.
    assert client.post(f"/console/chat-sessions/{ticket.pk}/end/").status_code == 302
    assert ChatSessionLog.objects.get(ticket=ticket).ended_at == session.ended_at
    assert client.get(f"/console/chat-sessions/{ticket.pk}/end/").status_code == 405


def test_customers_cannot_end_a_chat(roles):
    make_user("not-staff")
    client = Client()
    client.login(username="not-staff", password="pw-not-staff")
    response = client.post("/console/chat-sessions/1/end/")
    assert response.status_code in (302, 403)
