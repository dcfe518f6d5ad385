"""What every inbox page reads besides its rows: the signed-in agent, the staff and
teams of the selects (cached, so they must follow every change at once) and the
notification bell."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import make_user
from tickets.models import AgentProfile, Notification, Role, Team

pytestmark = pytest.mark.django_db


def options(html: str, select_name: str) -> list[str]:
    select = re.search(rf'<select name="{select_name}">(.*?)</select>', html, re.S).group(1)
    return re.findall(r">([^<]*)</option>", select)[1:]


def test_the_selects_offer_a_new_agent_and_a_renamed_team_on_the_next_page(agent_browser, roles):
    team = Team.objects.create(name="Billing")
    agent_browser.get("/console/")  # fills the cache
    make_user("newcomer", roles=[Role.AGENT], first_name="Nok", last_name="Kaew")
    team.name = "Refunds"
    team.save()
    html = agent_browser.get("/console/").content.decode()
    assert "Nok Kaew" in options(html, "assignee")
    assert options(html, "team") == ["Refunds"]


def test_the_selects_drop_an_agent_whose_role_is_taken_away(agent_browser, roles):
    leaving = make_user("leaving", roles=[Role.AGENT])
    assert "leaving" in options(agent_browser.get("/console/").content.decode(), "assignee")
    leaving.groups.clear()
    assert "leaving" not in options(agent_browser.get("/console/").content.decode(), "assignee")


def test_the_bell_counts_every_unread_notification_not_only_the_latest(agent_browser, agent):
    Notification.objects.bulk_create(
        [Notification(user=agent, kind=Notification.Kind.MENTION, text=f"mention {n}") for n in range(25)]
    )
    html = agent_browser.get("/console/").content.decode()
    assert re.search(r'data-testid="notification-count">25<', html)
    bell = re.search(r'data-testid="notification-list">(.*?)</ul>', html, re.S).group(1)
    assert bell.count("<li") == 20


def test_the_agent_their_roles_and_profile_are_read_in_one_query(agent_browser):
    agent_browser.get("/console/")
    with CaptureQueriesContext(connection) as queries:
        assert agent_browser.get("/console/").status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    assert not [s for s in sql if s.startswith('SELECT "auth_group"') or 'FROM "tickets_agentprofile"' in s]
    assert len([s for s in sql if 'FROM "auth_user"' in s and '."password"' in s]) == 1


def test_a_session_signed_in_by_djangos_own_backend_stays_signed_in(agent):
    client = Client()
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/console/").status_code == 200


def test_a_wrong_password_is_checked_once_and_refused(agent, monkeypatch):
    """The backend kept for earlier sessions must not hash a wrong password a second time."""
    from django.contrib.auth import authenticate
    from django.contrib.auth.base_user import AbstractBaseUser

    checks = []
    check_password = AbstractBaseUser.check_password

    def counted(user, raw_password):
        checks.append(raw_password)
        return check_password(user, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "check_password", counted)
    assert authenticate(username="agent1", password="wrong") is None
    assert checks == ["wrong"]
    assert authenticate(username="agent1", password="pw-agent1") == agent


def test_the_kept_menu_and_help_follow_the_language_and_the_role(agent_browser, supervisor_browser):
    english = agent_browser.get("/console/").content.decode()
    agent_browser.cookies["django_language"] = "th"
    thai = agent_browser.get("/console/").content.decode()
    assert "Keyboard shortcuts" in english and "Keyboard shortcuts" not in thai
    assert 'data-testid="approvals-link"' not in english
    assert 'data-testid="approvals-link"' in supervisor_browser.get("/console/").content.decode()


def test_the_kept_fixed_markup_follows_the_language_presence_view_and_sort(agent_browser, agent):
    first = agent_browser.get("/console/").content.decode()
    assert '<option value="online" selected>' in first
    assert '<input type="hidden" name="view" value="mine">' in first
    agent.agent_profile.presence = AgentProfile.Presence.AWAY
    agent.agent_profile.save()
    again = agent_browser.get("/console/?view=unassigned&sort=oldest").content.decode()
    assert '<option value="away" selected>' in again and '<option value="online" selected>' not in again
    assert '<input type="hidden" name="view" value="unassigned">' in again
    assert '<a href="?view=unassigned">' in again
    assert '<option value="oldest" selected>' in again
    assert 'value="en" lang="en" aria-pressed="true"' in again
    agent_browser.cookies["django_language"] = "th"
    thai = agent_browser.get("/console/").content.decode()
    assert 'value="th" lang="th" aria-pressed="true"' in thai and 'value="en" lang="en" aria-pressed' not in thai
    assert "Name this view" in first and "Name this view" not in thai


def test_a_supervisor_reaches_the_dashboard_and_the_rules_from_the_menu(agent_browser, supervisor_browser):
    menu = supervisor_browser.get("/console/").content.decode()
    assert 'href="/console/dashboard/" data-testid="dashboard-link">Dashboard</a>' in menu
    assert 'href="/console/rules/" data-testid="rules-link">Escalation rules</a>' in menu
    assert supervisor_browser.get("/console/dashboard/").status_code == 200
    agents_menu = agent_browser.get("/console/").content.decode()
    assert "dashboard-link" not in agents_menu and "rules-link" not in agents_menu


def test_the_bell_links_each_notification_to_its_ticket(agent_browser, agent):
    from tests.factories import deliver

    ticket = deliver("sms", "+66810000001", "hello").ticket
    Notification.objects.create(user=agent, ticket=ticket, kind=Notification.Kind.MENTION, text="about <this>")
    Notification.objects.create(user=agent, kind=Notification.Kind.MENTION, text="no ticket")
    html = agent_browser.get("/console/").content.decode()
    bell = re.search(r'data-testid="notification-list">(.*?)</ul>', html, re.S).group(1)
    assert f'<li class="cn-unread"><a href="/console/tickets/{ticket.pk}/">about &lt;this&gt;</a></li>' in bell
    assert '<li class="cn-unread">no ticket</li>' in bell
