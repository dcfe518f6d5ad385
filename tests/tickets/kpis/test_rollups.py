"""The KPI facts and daily rollups stay exact: a random sequence of events through the
real pipeline and services (new tickets, replies, resolutions, reopenings, repeat
contacts on other channels, chats ending, reassignments, tags, survey answers,
merges and their undoing, erasures) leaves the rollups equal to a full
recomputation, and kpi_summary equal to the straightforward implementation."""

import random
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_user
from tests.tickets.kpis import kpi_reference
from tests.tickets.sla.helpers import bkk, deliver_now
from tickets.models import (
    CustomerMerge,
    KPIDirtyDay,
    KPIDurationDay,
    KPIDurationMonth,
    KPIFirstResponseDay,
    KPITicketDay,
    KPITicketMonth,
    Role,
    Survey,
    Team,
    Ticket,
)
from tickets.selectors.kpis import KPIFilters, kpi_summary
from tickets.services.chat_sessions import ChatTouch, chat_session_end, chat_sessions_touch
from tickets.services.customers import customer_merge, customer_merge_undo
from tickets.services.kpi_rollups import kpi_rollups_flush, rebuild_kpi_rollups
from tickets.services.kpi_rollups_check import kpi_rollups_differences
from tickets.services.privacy import customer_erase
from tickets.services.replies import reply_create
from tickets.services.surveys import survey_answer
from tickets.services.tickets import subject_token, ticket_add_tags, ticket_assign, ticket_set_status

pytestmark = pytest.mark.django_db

PEOPLE = 5


class Story:
    """Random events, each through the service a person's action goes through."""

    def __init__(self, rng, clock, capture, agents, supervisor, teams=()):
        self.rng, self.clock, self.capture, self.agents, self.supervisor = rng, clock, capture, agents, supervisor
        self.teams = list(teams)

    def inbound(self, person: int, *, subject: str | None = None):
        channel = self.rng.choice(["email", "sms", "whatsapp", "chat"])
        if subject is not None:
            channel = "email"
        address = {
            "email": f"p{person}@example.com",
            "sms": f"+6681000000{person}",
            "whatsapp": f"whatsapp:+6681000000{person}",
            "chat": f"chat:visitor-{person}",
        }[channel]
        fields = {"subject": subject or f"Question {self.rng.randint(1, 10**6)}"} if channel == "email" else {}
        if channel == "chat":
            fields["metadata"] = {"visitor": f"visitor-{person}"}
        result = deliver_now(self.capture, channel, address, f"message {self.rng.random()}", **fields)
        if channel == "chat" and result.message is not None:
            ticket = result.message.ticket
            chat_sessions_touch([ChatTouch(ticket.pk, ticket.customer_id, f"visitor-{person}", timezone.now())])

    def ticket(self, **filters) -> Ticket | None:
        tickets = list(Ticket.objects.filter(**filters).order_by("pk"))
        return self.rng.choice(tickets) if tickets else None

    def step(self) -> None:
        rng = self.rng
        self.clock.set(self.clock.now + timedelta(minutes=rng.choice([5, 30, 90, 600, 3000, 9000])))
        event = rng.choice(
            ["new"] * 4
            + ["reply"] * 4
            + ["resolve"] * 3
            + ["again", "reopen", "chat_end", "assign", "tag", "answer", "merge", "erase"]
        )
        active = {"status__in": Ticket.ACTIVE_STATUSES}
        with self.capture(execute=True):
            if event == "new":
                self.inbound(rng.randrange(PEOPLE))
            elif event == "reply" and (ticket := self.ticket(**active)):
                reply_create(ticket=ticket, author=rng.choice(self.agents), text="an answer", channel=ticket.channel)
            elif event == "resolve" and (ticket := self.ticket(**active)):
                ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=self.supervisor)
            elif event == "again":  # a new contact, maybe a repeat one, on any channel
                self.inbound(rng.randrange(PEOPLE))
            elif event == "reopen" and (ticket := self.ticket(status=Ticket.Status.RESOLVED, channel="email")):
                person = (
                    int(ticket.customer.identities.filter(kind="email").first().address[1])
                    if ticket.customer.identities.filter(kind="email").exists()
                    else None
                )
                if person is not None:
                    self.inbound(person, subject=f"Re: {subject_token(ticket)}")
            elif event == "chat_end" and (ticket := self.ticket(channel="chat")):
                chat_session_end(ticket_id=ticket.pk, reason="agent")
            elif event == "assign" and (ticket := self.ticket()):
                team = rng.choice([*self.teams, None]) if self.teams else None
                ticket_assign(
                    ticket=ticket, assignee=rng.choice([*self.agents, None]), team=team, actor=self.supervisor
                )
            elif event == "tag" and (ticket := self.ticket()):
                ticket_add_tags(ticket=ticket, names=[rng.choice(["billing", "parcel", "login"])])
            elif event == "answer" and (
                survey := Survey.objects.filter(status=Survey.Status.SENT).order_by("pk").first()
            ):
                survey_answer(survey=survey, score=rng.randint(survey.scale_min, survey.scale_max))
            elif event == "merge":
                self.merge()
            elif event == "erase" and (ticket := self.ticket()):
                customer_erase(customer=ticket.customer, actor=self.supervisor)

    def merge(self) -> None:
        undoable = CustomerMerge.objects.filter(undone_at__isnull=True).order_by("pk").last()
        if undoable is not None and self.rng.random() < 0.4:
            customer_merge_undo(merge=undoable, actor=self.supervisor)
            return
        customers = list(
            {t.customer for t in Ticket.objects.select_related("customer") if t.customer.merged_into_id is None}
        )
        if len(customers) >= 2:
            source, target = self.rng.sample(sorted(customers, key=lambda c: c.pk), 2)
            customer_merge(source=source, target=target, actor=self.supervisor)


def _ranges(start, agent_id: int, team_id: int) -> list[KPIFilters]:
    first = start.date()
    return [
        KPIFilters(date_from=first, date_to=first + timedelta(days=60)),
        KPIFilters(date_from=first + timedelta(days=3), date_to=first + timedelta(days=9)),
        KPIFilters(date_from=first, date_to=first + timedelta(days=60), channel="email"),
        KPIFilters(date_from=first, date_to=first + timedelta(days=60), agent_id=agent_id),
        KPIFilters(date_from=first, date_to=first + timedelta(days=60), team_id=team_id),
        KPIFilters(date_from=first + timedelta(days=3), date_to=first + timedelta(days=9), channel="sms"),
        # Two filters: no rollup counts the combination, the tickets are ranked.
        KPIFilters(date_from=first, date_to=first + timedelta(days=60), channel="email", agent_id=agent_id),
    ]


def _api_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/kpis/", params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_events_keep_the_rollups_exact(seed, clock, agent, roles, settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_SURVEY_KINDS = ["csat", "nps"]
    rng = random.Random(seed)
    supervisor = make_user("sup", roles=[Role.SUPERVISOR])
    agents = [agent, make_user("agent2", roles=[Role.AGENT])]
    start = clock.set("2026-09-01 09:00")
    teams = [Team.objects.create(name="Billing"), Team.objects.create(name="Delivery")]
    story = Story(rng, clock, django_capture_on_commit_callbacks, agents, supervisor, teams)
    client = APIClient()
    client.force_authenticate(user=supervisor)
    year = {"from": "2026-01-01", "to": "2026-12-31", "detail": "1"}
    day = {"from": "2026-09-01", "to": "2026-09-01", "detail": "1"}
    story.inbound(0)
    reply_create(ticket=Ticket.objects.get(), author=agent, text="an answer")  # an agent in the table
    _api_queries(client, day)  # the stale days are refreshed: both calls below read the same way
    one_channel = {"from": "2026-01-01", "to": "2026-12-31", "channel": Ticket.objects.get().channel}
    few = [_api_queries(client, day), _api_queries(client, year), _api_queries(client, one_channel)]

    for _ in range(70):
        story.step()
    assert Ticket.objects.count() > 10
    _api_queries(client, day)
    if connection.vendor == "postgresql":
        # A constant number of queries: one day or a year, a few tickets or many. (SQLite
        # has no percentile_cont: its percentiles take a query each, and none when empty.)
        assert [_api_queries(client, day), _api_queries(client, year), _api_queries(client, one_channel)] == few

    for now in (clock.now, start + timedelta(days=12), clock.now + timedelta(days=10)):
        for filters in _ranges(start, agent.pk, teams[0].pk):
            assert kpi_summary(filters=filters, now=now, detail=True) == kpi_reference.kpi_summary(
                filters=filters, now=now, detail=True
            ), (now, filters)
    assert kpi_rollups_differences() == []
    call_command("rebuild_kpi_rollups", "--check")


def test_check_reports_a_difference_and_rebuild_repairs_it(clock, agent, django_capture_on_commit_callbacks, capsys):
    clock.set("2026-09-01 09:00")
    ticket = deliver_now(django_capture_on_commit_callbacks, "sms", "+66810000001", "hello").ticket
    reply_create(ticket=ticket, author=agent, text="hi")
    assert kpi_rollups_differences() == []
    KPIDirtyDay.objects.all().delete()
    KPITicketDay.objects.update(created=5)
    Ticket.objects.update(fcr_one_contact=False)
    with pytest.raises(CommandError, match="3 rows differ"):  # the command's exit status is 1
        call_command("rebuild_kpi_rollups", "--check")
    out = capsys.readouterr().out
    assert "tickets_kpiticketday: stored" in out and f"ticket {ticket.pk}: fcr_one_contact False (computed True)" in out
    rebuild_kpi_rollups()
    assert kpi_rollups_differences() == []
    assert KPITicketDay.objects.get().created == 1
    assert bkk("2026-09-01 00:00").date() == KPITicketDay.objects.get().day


def test_check_covers_the_days_medians_and_the_buckets_per_channel(clock, agent, django_capture_on_commit_callbacks):
    clock.set("2026-09-01 09:00")
    ticket = deliver_now(django_capture_on_commit_callbacks, "sms", "+66810000001", "hello").ticket
    clock.set("2026-09-01 09:10")
    reply_create(ticket=ticket, author=agent, text="hi")
    kpi_rollups_flush()
    assert KPIFirstResponseDay.objects.get().median_s == 600.0
    KPIFirstResponseDay.objects.update(median_s=601.0)
    KPIDurationDay.objects.filter(measure="first_response_s_by_channel").update(channel="email")
    assert sorted(line.split(":")[0] for line in kpi_rollups_differences()) == [
        "tickets_kpidurationday", "tickets_kpidurationday", "tickets_kpifirstresponseday", "tickets_kpifirstresponseday",
    ]  # fmt: skip
    rebuild_kpi_rollups()
    assert kpi_rollups_differences() == []
    assert KPIFirstResponseDay.objects.get().median_s == 600.0


def test_the_months_are_the_sums_of_their_days(clock, agent, django_capture_on_commit_callbacks, capsys):
    for moment, address in (("2026-08-31 23:30", "+66810000001"), ("2026-09-01 09:00", "+66810000002")):
        clock.set(moment)
        ticket = deliver_now(django_capture_on_commit_callbacks, "sms", address, "hello").ticket
        reply_create(ticket=ticket, author=agent, text="hi")
    clock.set("2026-09-20 09:00")
    ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    assert kpi_rollups_differences() == []
    months = {row.month.isoformat(): (row.created, row.resolved) for row in KPITicketMonth.objects.all()}
    assert months == {"2026-08-01": (1, 0), "2026-09-01": (1, 1)}

    KPITicketMonth.objects.filter(month="2026-09-01").update(resolved=0)
    with pytest.raises(CommandError, match="2 rows differ"):
        call_command("rebuild_kpi_rollups", "--check")
    assert "tickets_kpiticketmonth: stored" in capsys.readouterr().out
    rebuild_kpi_rollups(facts=False)
    assert kpi_rollups_differences() == []


def test_a_range_of_whole_months_reads_the_months(clock, agent, django_capture_on_commit_callbacks):
    """The monthly rows answer for whole months: a month row changed by hand shows."""
    clock.set("2026-09-10 09:00")
    deliver_now(django_capture_on_commit_callbacks, "sms", "+66810000001", "hello")
    clock.set("2026-11-20 09:00")
    august_to_october = KPIFilters(date_from=date(2026, 8, 1), date_to=date(2026, 10, 31))
    assert kpi_summary(filters=august_to_october)["volume"] == 1
    KPITicketMonth.objects.filter(month="2026-09-01").update(created=7)
    assert kpi_summary(filters=august_to_october)["volume"] == 7
    # From the 2nd of September, September is read by day.
    assert kpi_summary(filters=KPIFilters(date_from=date(2026, 9, 2), date_to=date(2026, 10, 31)))["volume"] == 1


def test_a_reassignment_moves_the_month_rows_and_leaves_the_others(clock, agent, django_capture_on_commit_callbacks):
    """The months take the change of their recomputed days: the old assignee's rows go
    when they drop to zero, the new assignee's appear, the rows nothing changed stay."""
    other = make_user("agent2", roles=[Role.AGENT])
    clock.set("2026-09-01 09:00")
    kept = deliver_now(django_capture_on_commit_callbacks, "sms", "+66810000001", "hello").ticket
    moved = deliver_now(django_capture_on_commit_callbacks, "sms", "+66810000002", "hello").ticket
    ticket_assign(ticket=kept, assignee=other)
    ticket_assign(ticket=moved, assignee=agent)
    clock.set("2026-10-05 09:00")
    september = KPIFilters(date_from=date(2026, 9, 1), date_to=date(2026, 9, 30), agent_id=agent.pk)
    assert kpi_summary(filters=september)["volume"] == 1
    kept_rows = set(KPITicketMonth.objects.filter(assignee_id=other.pk).values_list("pk", "created"))

    ticket_assign(ticket=moved, assignee=other)
    assert kpi_summary(filters=september)["volume"] == 0
    assert (
        kpi_summary(filters=KPIFilters(date_from=date(2026, 9, 1), date_to=date(2026, 9, 30), agent_id=other.pk))[
            "volume"
        ]
        == 2
    )
    assert not KPITicketMonth.objects.filter(assignee_id=agent.pk).exists()
    assert not KPIDurationMonth.objects.filter(assignee_id=agent.pk).exists()
    if connection.vendor == "postgresql":  # elsewhere the months are summed again
        kept_now = KPITicketMonth.objects.filter(assignee_id=other.pk).values_list("pk", flat=True)
        assert {pk for pk, _created in kept_rows} == set(kept_now)  # updated in place
    assert kpi_rollups_differences() == []
