import pytest

from tests.factories import deliver
from tickets.models import Message, Notification, Ticket, TicketActivity

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainee_browser(trainee):
    from django.test import Client

    client = Client()
    client.force_login(trainee)
    return client


@pytest.fixture
def waiting_reply(trainee_browser, supervisor) -> Message:
    ticket = deliver("sms", "+66812345678", "hello?").ticket
    response = trainee_browser.post(f"/console/tickets/{ticket.pk}/reply/", {"kind": "reply", "text": "Hi, I will check"})
    assert response.status_code == 302
    return Message.objects.get(ticket=ticket, direction="out")


def test_a_trainees_reply_waits_and_the_supervisors_are_told(waiting_reply, supervisor, agent, trainee_browser):
    assert waiting_reply.delivery_status == "awaiting_approval"
    notification = Notification.objects.get(kind="approval")
    assert notification.user == supervisor  # plain agents are not asked
    assert "Nok's reply on" in notification.text
    page = trainee_browser.get(f"/console/tickets/{waiting_reply.ticket_id}/").content.decode()
    assert "Awaiting approval" in page


def test_the_queue_lists_waiting_replies_and_approve_sends(supervisor_browser, waiting_reply, trainee):
    queue = supervisor_browser.get("/console/approvals/").content.decode()
    assert f'data-message-id="{waiting_reply.pk}"' in queue and "Hi, I will check" in queue
    response = supervisor_browser.post(f"/console/approvals/{waiting_reply.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    waiting_reply.refresh_from_db()
    assert waiting_reply.delivery_status == "queued" and waiting_reply.text == "Hi, I will check"
    ticket = Ticket.objects.get(pk=waiting_reply.ticket_id)
    assert ticket.agent_reply_count == 1 and ticket.first_response_at is not None
    assert Notification.objects.filter(user=trainee, kind="approval", text__contains="approved").exists()
    assert f'data-message-id="{waiting_reply.pk}"' not in supervisor_browser.get("/console/approvals/").content.decode()
    # Deciding twice is refused politely.
    again = supervisor_browser.post(f"/console/approvals/{waiting_reply.pk}/", {"decision": "approve"}, follow=True)
    assert "not waiting for approval" in again.content.decode()


def test_edit_and_approve_sends_the_corrected_text(supervisor_browser, waiting_reply):
    supervisor_browser.post(
        f"/console/approvals/{waiting_reply.pk}/", {"decision": "edit", "text": "Hello! I am checking your order now."}
    )
    waiting_reply.refresh_from_db()
    assert waiting_reply.delivery_status == "queued"
    assert waiting_reply.text == "Hello! I am checking your order now."


def test_reject_keeps_the_draft_as_a_note_and_tells_the_agent_why(supervisor_browser, waiting_reply, trainee):
    response = supervisor_browser.post(f"/console/approvals/{waiting_reply.pk}/", {"decision": "reject"}, follow=True)
    assert "Tell the agent why" in response.content.decode()
    supervisor_browser.post(f"/console/approvals/{waiting_reply.pk}/", {"decision": "reject", "note": "Greet by name"})
    waiting_reply.refresh_from_db()
    assert waiting_reply.direction == "note" and waiting_reply.delivery_status == ""
    assert Notification.objects.get(user=trainee).text.endswith("rejected: Greet by name")
    activity = TicketActivity.objects.get(ticket_id=waiting_reply.ticket_id, kind="approval")
    assert activity.data["rejected"] is True
    assert Ticket.objects.get(pk=waiting_reply.ticket_id).agent_reply_count == 0


def test_agents_cannot_approve(agent_browser, waiting_reply):
    assert agent_browser.post(f"/console/approvals/{waiting_reply.pk}/", {"decision": "approve"}).status_code == 403
    waiting_reply.refresh_from_db()
    assert waiting_reply.delivery_status == "awaiting_approval"
