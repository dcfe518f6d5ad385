import pytest
from django.core.files.base import ContentFile
from django.test import Client

from tests.factories import deliver
from tickets.models import Attachment

pytestmark = pytest.mark.django_db

CONSOLE_PAGES = ["/console/", "/console/?view=all", "/console/approvals/"]


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    ticket = deliver(text="hello").ticket
    for url in [*CONSOLE_PAGES, f"/console/tickets/{ticket.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/console/login/?next=")


def test_a_customer_account_gets_403_everywhere_in_the_console(client, customer_user):
    ticket = deliver(text="hello").ticket
    client.force_login(customer_user)
    for url in [*CONSOLE_PAGES, f"/console/tickets/{ticket.pk}/", f"/console/tickets/{ticket.pk}/row/"]:
        assert client.get(url).status_code == 403, url
    response = client.post(f"/console/tickets/{ticket.pk}/reply/", {"kind": "reply", "text": "hi", "channel": "sms"})
    assert response.status_code == 403
    assert ticket.messages.count() == 1


def test_an_agent_signs_in_on_the_login_page_and_lands_in_the_inbox(agent):
    client = Client()
    page = client.get("/console/login/")
    assert page.status_code == 200
    assert 'data-testid="login-username"' in page.content.decode()
    response = client.post("/console/login/", {"username": "agent1", "password": "pw-agent1"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    inbox = client.get("/console/")
    assert inbox.status_code == 200
    assert 'data-testid="ticket-list"' in inbox.content.decode()


def test_a_wrong_password_shows_the_form_again_with_an_error(agent):
    response = Client().post("/console/login/", {"username": "agent1", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_only_supervisors_open_the_approval_queue(agent_browser, supervisor_browser):
    assert agent_browser.get("/console/approvals/").status_code == 403
    assert supervisor_browser.get("/console/approvals/").status_code == 200


def test_the_attachment_download_url_keeps_working(agent_browser):
    message = deliver(text="see file").message
    attachment = Attachment(message=message, filename="note.txt", content_type="text/plain", size=5)
    attachment.file.save("note.txt", ContentFile(b"hello"), save=True)
    page = agent_browser.get(f"/console/tickets/{message.ticket_id}/").content.decode()
    assert f'href="/console/attachments/{attachment.pk}/"' in page
    response = agent_browser.get(f"/console/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    assert response["Content-Disposition"].startswith("attachment")
