import re
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import deliver, make_user
from tickets.models import AgentProfile, Role, Team, Ticket, TicketActivity, TicketSLA
from tickets.services.saved_views import saved_view_save
from tickets.services.tickets import ticket_add_tags, ticket_assign, ticket_set_priority, ticket_set_status

pytestmark = pytest.mark.django_db


def row_ids(response) -> list[int]:
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-testid="ticket-row" data-ticket-id="(\d+)"', response.content.decode())]


def new_ticket(n: int, channel: str = "sms", **fields) -> Ticket:
    senders = {"sms": f"+6681000{n:04d}", "whatsapp": f"whatsapp:+6682000{n:04d}", "email": f"c{n}@example.com"}
    return deliver(channel, senders[channel], f"message {n}", **fields).ticket


@pytest.fixture
def board(agent, roles):
    """Tickets in every situation an inbox view tells apart."""
    other = make_user("agent2", roles=[Role.AGENT])
    team = Team.objects.create(name="Billing")
    agent.agent_profile.teams.add(team)
    mine = new_ticket(1, subject="refund")
    ticket_assign(ticket=mine, assignee=agent)
    theirs = new_ticket(2)
    ticket_assign(ticket=theirs, assignee=other, team=team)
    unassigned = new_ticket(3, "email", subject="Invoice question", sender_name="Malee Wongsa")
    resolved = new_ticket(4)
    ticket_assign(ticket=resolved, assignee=agent)
    ticket_set_status(ticket=resolved, status=Ticket.Status.RESOLVED)
    return {
        "mine": mine,
        "theirs": theirs,
        "unassigned": unassigned,
        "resolved": resolved,
        "team": team,
        "other": other,
    }


def test_each_view_shows_its_tickets(agent_browser, board):
    assert row_ids(agent_browser.get("/console/")) == [board["mine"].pk]
    assert row_ids(agent_browser.get("/console/?view=unassigned")) == [board["unassigned"].pk]
    assert row_ids(agent_browser.get("/console/?view=team")) == [board["theirs"].pk]
    assert set(row_ids(agent_browser.get("/console/?view=all"))) == {
        board["mine"].pk,
        board["theirs"].pk,
        board["unassigned"].pk,
    }
    # A status filter brings resolved tickets back.
    assert row_ids(agent_browser.get("/console/?view=all&status=resolved")) == [board["resolved"].pk]


def test_sla_at_risk_lists_tickets_past_their_warning_time_soonest_due_first(agent_browser, board):
    now = timezone.now()
    TicketSLA.objects.create(
        ticket=board["unassigned"], first_response_warn_at=now - timedelta(minutes=5),
        first_response_due_at=now + timedelta(minutes=10),
    )  # fmt: skip
    TicketSLA.objects.create(
        ticket=board["theirs"], first_response_warn_at=now - timedelta(minutes=30),
        first_response_due_at=now - timedelta(minutes=1), first_response_breached_at=now,
    )  # fmt: skip
    TicketSLA.objects.create(
        ticket=board["mine"],
        first_response_warn_at=now + timedelta(hours=1),
        first_response_due_at=now + timedelta(hours=2),
    )
    response = agent_browser.get("/console/?view=sla_at_risk")
    assert row_ids(response) == [board["theirs"].pk, board["unassigned"].pk]
    html = response.content.decode()
    assert "SLA breached" in html
    assert 'data-testid="view-sla_at_risk"' in html


def test_sla_at_risk_with_a_status_filter_keeps_only_active_tickets_of_those_statuses(agent_browser, board):
    now = timezone.now()
    for ticket in (board["unassigned"], board["resolved"]):
        TicketSLA.objects.update_or_create(ticket=ticket, defaults={"resolution_warn_at": now - timedelta(minutes=5)})
    get = agent_browser.get
    assert row_ids(get("/console/?view=sla_at_risk")) == [board["unassigned"].pk]
    assert row_ids(get("/console/?view=sla_at_risk&status=new&status=open")) == [board["unassigned"].pk]
    assert row_ids(get("/console/?view=sla_at_risk&status=pending")) == []
    # A resolved ticket is never at risk, even when its status is asked for.
    assert row_ids(get("/console/?view=sla_at_risk&status=resolved")) == []
    assert row_ids(get("/console/?view=sla_at_risk&status=resolved&status=new&status=open")) == [board["unassigned"].pk]


def test_filters_by_channel_priority_tag_team_and_assignee(agent_browser, agent, board):
    ticket_set_priority(ticket=board["theirs"], priority=Ticket.Priority.URGENT)
    ticket_add_tags(ticket=board["unassigned"], names=["vip-refund"])
    get = agent_browser.get
    assert row_ids(get("/console/?view=all&channel=email")) == [board["unassigned"].pk]
    assert row_ids(get("/console/?view=all&priority=4")) == [board["theirs"].pk]
    assert row_ids(get("/console/?view=all&tag=vip-refund")) == [board["unassigned"].pk]
    assert row_ids(get(f"/console/?view=all&team={board['team'].pk}")) == [board["theirs"].pk]
    assert row_ids(get(f"/console/?view=all&assignee={board['other'].pk}")) == [board["theirs"].pk]
    assert set(row_ids(get("/console/?view=all&channel=sms&channel=email"))) == {
        board["mine"].pk, board["theirs"].pk, board["unassigned"].pk,
    }  # fmt: skip


def test_search_finds_subject_customer_name_address_and_ticket_number(agent_browser, board):
    target = board["unassigned"]
    for query in ["invoice", "Malee", "c3@example", f"HD-{target.pk}", f"#{target.pk}"]:
        assert target.pk in row_ids(agent_browser.get("/console/", {"view": "all", "q": query})), query
    assert row_ids(agent_browser.get("/console/", {"view": "all", "q": "nothing-like-this"})) == []


def test_bad_filter_values_get_a_400_not_a_500(agent_browser):
    assert agent_browser.get("/console/?view=all&priority=banana").status_code == 400
    assert agent_browser.get("/console/?view=nope").status_code == 400
    assert agent_browser.get("/console/?view=all&team=999999").status_code == 400


def test_the_inbox_page_costs_the_same_queries_for_5_and_50_rows(agent_browser, agent, django_assert_num_queries):
    team = Team.objects.create(name="Support")
    # Counted from the counters, counted up to a cap, and not counted (a search).
    for name, query in [("Email", "view=all&channel=email"), ("Tagged", "view=all&tag=tag1"), ("Words", "q=help")]:
        saved_view_save(user=agent, name=name, query=query)
    tickets = []
    for n in range(50):
        ticket = new_ticket(n)
        ticket_assign(ticket=ticket, assignee=agent, team=team)
        ticket_add_tags(ticket=ticket, names=[f"tag{n % 3}", "all"])
        TicketSLA.objects.create(ticket=ticket, first_response_due_at=timezone.now() + timedelta(hours=1))
        tickets.append(ticket)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[5:]]).update(status=Ticket.Status.CLOSED)
    agent_browser.get("/console/?view=mine")  # the first page fills the cached staff and teams
    with CaptureQueriesContext(connection) as five_rows:
        assert len(row_ids(agent_browser.get("/console/?view=mine"))) == 5

    Ticket.objects.update(status=Ticket.Status.OPEN)
    with django_assert_num_queries(len(five_rows)):
        assert len(row_ids(agent_browser.get("/console/?view=mine"))) == 50


def test_older_pages_walk_every_ticket_once_in_each_order(agent_browser, monkeypatch):
    monkeypatch.setattr("tickets.console.inbox_views.PAGE_SIZE", 5)
    for n in range(23):
        ticket = new_ticket(n)
        ticket_set_priority(ticket=ticket, priority=[1, 2, 3, 4][n % 4])
        TicketSLA.objects.create(
            ticket=ticket, first_response_due_at=timezone.now() + timedelta(hours=n % 5) if n % 3 else None
        )
    expected_all = set(Ticket.objects.values_list("pk", flat=True))
    for sort in ["", "newest", "oldest", "priority", "due"]:
        url, seen, sizes = f"/console/?view=all&sort={sort}", [], []
        while url:
            with CaptureQueriesContext(connection) as queries:
                response = agent_browser.get(url)
            sizes.append(len(queries))
            seen += row_ids(response)
            older = re.search(r'href="([^"]+)" rel="next"', response.content.decode())
            url = "/console/" + older.group(1).replace("&amp;", "&") if older else ""
        assert sorted(seen) == sorted(expected_all) and len(seen) == len(expected_all), sort
        assert len(sizes) == 5 and len(set(sizes[1:])) == 1, (sort, sizes)
        if sort == "priority":
            priorities = [Ticket.objects.get(pk=pk).priority for pk in seen]
            assert priorities == sorted(priorities, reverse=True)
    assert agent_browser.get("/console/?view=all&after=garbage").status_code == 400
    assert "not valid any more" in agent_browser.get("/console/?view=all&after=WyJ4Il0").content.decode()


def test_bulk_actions_go_through_the_services(agent_browser, agent, board):
    ids = [board["unassigned"].pk, board["theirs"].pk]
    post = agent_browser.post
    assert post("/console/bulk/", {"tickets": ids, "action": "assign_me"}).status_code == 302
    assert set(Ticket.objects.filter(pk__in=ids).values_list("assignee_id", flat=True)) == {agent.pk}
    post("/console/bulk/", {"tickets": ids, "action": "priority", "priority": "3"})
    post("/console/bulk/", {"tickets": ids, "action": "tag", "tag": "follow-up"})
    post("/console/bulk/", {"tickets": ids, "action": "status", "status": "pending"})
    for ticket in Ticket.objects.filter(pk__in=ids):
        assert (ticket.priority, ticket.status) == (Ticket.Priority.HIGH, Ticket.Status.PENDING)
        assert list(ticket.tags.values_list("name", flat=True)) == ["follow-up"]
        kinds = set(TicketActivity.objects.filter(ticket=ticket).values_list("kind", flat=True))
        assert {"assigned", "priority", "tagged", "status"} <= kinds


def test_a_bulk_action_that_fails_on_one_ticket_changes_none(agent_browser, board):
    closed = board["resolved"]
    ticket_set_status(ticket=closed, status=Ticket.Status.CLOSED)
    ids = [board["unassigned"].pk, closed.pk]
    response = agent_browser.post(
        "/console/bulk/", {"tickets": ids, "action": "status", "status": "pending"}, follow=True
    )
    assert "cannot become pending" in response.content.decode()
    assert Ticket.objects.get(pk=board["unassigned"].pk).status == Ticket.Status.NEW


def test_bulk_with_bad_input_explains_and_changes_nothing(agent_browser, board):
    response = agent_browser.post("/console/bulk/", {"tickets": ["x1"], "action": "assign_me"}, follow=True)
    assert "Invalid ticket selection" in response.content.decode()
    response = agent_browser.post("/console/bulk/", {"tickets": [board["mine"].pk], "action": "status"}, follow=True)
    assert "Choose a value for this action" in response.content.decode()
    assert agent_browser.post("/console/bulk/", {"action": "assign_me"}).status_code == 302
    assert not AgentProfile.objects.filter(last_assigned_at__isnull=False).exists()


def test_the_row_partial_is_what_the_live_inbox_fetches(agent_browser, board):
    response = agent_browser.get(f"/console/tickets/{board['mine'].pk}/row/")
    assert row_ids(response) == [board["mine"].pk]
    assert agent_browser.get("/console/tickets/999999/row/").status_code == 404


def test_the_inbox_page_reads_the_agent_rows_with_tags_saved_views_counts_and_bell_in_5_queries(agent_browser, agent):
    saved_view_save(user=agent, name="Tagged", query="view=all&tag=vip")
    ticket = new_ticket(1)
    ticket_assign(ticket=ticket, assignee=agent)
    ticket_add_tags(ticket=ticket, names=["vip", "refund"])
    agent_browser.get("/console/")  # the first page fills the cached staff and teams
    with CaptureQueriesContext(connection) as queries:
        html = agent_browser.get("/console/").content.decode()
    assert len(queries) == (5 if connection.vendor == "postgresql" else 6), [q["sql"][:80] for q in queries]
    assert '<span class="cn-tag">refund</span><span class="cn-tag">vip</span>' in html


def test_the_sla_at_risk_count_and_rows_follow_the_clock_with_their_statements_compiled_once(agent_browser):
    """The statements are compiled at the first page view and kept; the clock is read
    at each run (on PostgreSQL, the database's own), so a warning time that passes
    between two page views puts the ticket at risk."""
    ticket = new_ticket(1)

    def at_risk() -> tuple[str, list[int]]:
        html = agent_browser.get("/console/").content.decode()
        count = re.search(r'data-testid="view-sla_at_risk"[^>]*>[^<]*(?:<span class="cn-count">(\d+))?', html).group(1)
        return count, row_ids(agent_browser.get("/console/?view=sla_at_risk"))

    assert at_risk() == ("0", [])
    # Far enough ahead that the two page views below come before it on a busy machine.
    warn_at = timezone.now() + timedelta(seconds=2)
    TicketSLA.objects.update_or_create(
        ticket=ticket, defaults={"resolution_warn_at": warn_at, "resolution_due_at": warn_at + timedelta(hours=1)}
    )
    assert at_risk() == ("0", [])
    time.sleep(max(0.0, (warn_at - timezone.now()).total_seconds()) + 0.1)
    assert at_risk() == ("1", [ticket.pk])
