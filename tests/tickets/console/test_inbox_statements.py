"""The inbox's rows and counts run as prepared statements with their values written into
the text (tickets/selectors/inbox_statements.py); what they show stays exact, whatever
the values hold."""

import re
from urllib.parse import urlencode

import pytest
from django.db import connection

from tests.factories import deliver
from tickets.services.saved_views import saved_view_save
from tickets.services.tickets import ticket_add_tags

pytestmark = pytest.mark.django_db


def saved_view_count(html: str, name: str) -> str:
    return re.search(rf'>{name} <span class="cn-count" data-testid="saved-view-count">(\d+)</span>', html).group(1)


def test_a_saved_view_of_a_tag_with_a_quote_and_a_percent_sign_counts_its_tickets(agent_browser, agent):
    for n in range(3):
        ticket = deliver("sms", f"+66810009{n:03d}", f"message {n}").ticket
        ticket_add_tags(ticket=ticket, names=["it's 100%" if n < 2 else "100"])
    saved_view_save(user=agent, name="Quoted", query=urlencode({"view": "all", "tag": "it's 100%"}))
    saved_view_save(user=agent, name="Plain", query=urlencode({"view": "all", "tag": "100"}))

    html = agent_browser.get("/console/").content.decode()

    assert saved_view_count(html, "Quoted") == "2"
    assert saved_view_count(html, "Plain") == "1"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_rows_and_the_counts_are_prepared_statements(agent_browser):
    ticket = deliver("sms", "+66810008001", "hello").ticket
    for _ in range(2):
        html = agent_browser.get("/console/?view=all").content.decode()
        assert f'data-ticket-id="{ticket.pk}"' in html

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("LIMIT 51" in statement for statement in prepared)
    assert any(statement.startswith("SELECT totals.*") for statement in prepared)
