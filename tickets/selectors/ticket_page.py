"""Reads of the console's ticket page that no other page makes. The page is the one
agents keep open, so what it shows of the ticket is read in one statement: each
small fact, and each short list of the side panels and of the forms (the agent's
canned responses, the assignees, the macros), is a subquery of the ticket's row
rather than a query of its own.

That statement is written in SQL, once per process: compiled by the ORM on every view,
its first six subqueries alone cost 5 ms of CPU, against 0.4 ms to run it. The short
lists come back as JSON arrays and become model instances holding the fields shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from tickets.models import (
    AgentProfile,
    CannedResponse,
    Channel,
    ChatSessionLog,
    ContactIdentity,
    Customer,
    Direction,
    IdentityClaim,
    Macro,
    Message,
    MessageSentiment,
    Survey,
    Tag,
    Team,
    Ticket,
    TicketActivity,
)
from tickets.selectors import console as console_selectors
from tickets.selectors.console import STAFF_ROLES, WHATSAPP_WINDOW


@dataclass(frozen=True)
class TicketPage:
    ticket: Ticket
    tag_names: list[str]
    # (kind, address) of each of the customer's identities, oldest first.
    identities: list[tuple[str, str]]
    # None if the customer never wrote on WhatsApp.
    last_whatsapp_inbound_at: datetime | None
    # The start of the ticket's live chat session, if one is open.
    chat_started_at: datetime | None
    # The sentiment scores of the customer's latest messages, newest first.
    recent_scores: list[float]
    # The channel of the customer's last message on this ticket (not an automatic one)
    # and the channel it asked to be answered on, if any; None before they wrote.
    last_inbound: tuple[str, str | None] | None
    # The customer's other tickets, newest first (id, subject, status).
    past_tickets: list[Ticket]
    # The ticket's latest activities, newest first, each with its actor's username.
    activities: list[TicketActivity]
    # The customer's answered surveys, newest first.
    surveys: list[Survey]
    # Every address the customer claimed, verified or not, oldest first, each with the
    # name of the customer it may be.
    claims: list[IdentityClaim]
    # What the composer's / menu offers the viewing agent (console_selectors.canned_menu).
    canned_menu: list[dict]
    # (pk, username) of every active staff user, by username: the assignee choices.
    assignees: list[tuple[int, str]]
    # {"pk", "name"} of every macro, by name.
    macros: list[dict]

    def whatsapp_window_open(self, *, now: datetime | None = None) -> bool | None:
        """Whether a free-form WhatsApp message may go to the customer now (their last
        inbound WhatsApp message is less than 24 hours old); None if they never wrote there."""
        if self.last_whatsapp_inbound_at is None:
            return None
        return (now or timezone.now()) - self.last_whatsapp_inbound_at < WHATSAPP_WINDOW


# The customer's mood is the average sentiment of this many of their latest messages.
MOOD_MESSAGES = 20
PAST_TICKETS = 10
ACTIVITIES = 30
SURVEYS = 10


def _columns(model, alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def _json_list(columns: str, rows: str, order: str) -> str:
    """A subquery of `rows` (a SELECT aliased x) as a JSON array of arrays of `columns`."""
    return f"(SELECT coalesce(json_agg(json_build_array({columns}) ORDER BY {order}), '[]') FROM ({rows}) x)"


@cache
def _ticket_page_sql() -> str:
    ticket_tags = Ticket.tags.through._meta
    tickets, customers, messages = Ticket._meta.db_table, Customer._meta.db_table, Message._meta.db_table
    user = get_user_model()._meta
    username = user.get_field(get_user_model().USERNAME_FIELD).column
    past_tickets = _json_list(
        "x.id, x.subject, x.status",
        f"""SELECT p.id, p.subject, p.status, p.created_at FROM "{tickets}" p
            WHERE p.customer_id = t.customer_id AND p.id <> t.id
            ORDER BY p.created_at DESC, p.id DESC LIMIT %(past_tickets)s""",
        "x.created_at DESC, x.id DESC",
    )
    activities = _json_list(
        "x.id, x.kind, x.created_at, x.actor_id, x.username",
        f"""SELECT a.id, a.kind, a.created_at, a.actor_id, u."{username}" AS username
            FROM "{TicketActivity._meta.db_table}" a LEFT JOIN "{user.db_table}" u ON u.id = a.actor_id
            WHERE a.ticket_id = t.id ORDER BY a.created_at DESC, a.id DESC LIMIT %(activities)s""",
        "x.created_at DESC, x.id DESC",
    )
    surveys = _json_list(
        "x.id, x.kind, x.score, x.scale_max, x.answered_at, x.comment",
        f"""SELECT s.id, s.kind, s.score, s.scale_max, s.answered_at, s.comment FROM "{Survey._meta.db_table}" s
            WHERE s.customer_id = t.customer_id AND s.status = %(answered)s
            ORDER BY s.answered_at DESC, s.id DESC LIMIT %(surveys)s""",
        "x.answered_at DESC, x.id DESC",
    )
    claims = _json_list(
        "x.id, x.kind, x.address, x.verified_at, x.may_be_id, x.may_be_name",
        f"""SELECT ic.id, ic.kind, ic.address, ic.verified_at, ic.created_at, ic.may_be_id, mb.name AS may_be_name
            FROM "{IdentityClaim._meta.db_table}" ic LEFT JOIN "{customers}" mb ON mb.id = ic.may_be_id
            WHERE ic.customer_id = t.customer_id""",
        "x.created_at, x.id",
    )
    canned = _json_list(
        "x.id, x.title, x.owner_id, x.team_id, x.team_name, x.preview",
        # A preview is the body's first characters, as canned_menu cuts it.
        f"""SELECT r.id, r.title, r.owner_id, r.team_id, team.name AS team_name, left(r.body, %(canned_preview)s) AS preview
            FROM "{CannedResponse._meta.db_table}" r LEFT JOIN "{Team._meta.db_table}" team ON team.id = r.team_id
            WHERE (r.owner_id IS NULL AND r.team_id IS NULL) OR r.owner_id = %(user_id)s
               OR r.team_id IN (SELECT pt.team_id FROM "{AgentProfile.teams.through._meta.db_table}" pt
                                JOIN "{AgentProfile._meta.db_table}" ap ON ap.id = pt.agentprofile_id
                                WHERE ap.user_id = %(user_id)s)""",
        "x.title, x.id",
    )
    user_groups = user.get_field("groups").remote_field.through._meta.db_table
    assignees = _json_list(
        "x.id, x.username",
        f"""SELECT u.id, u."{username}" AS username FROM "{user.db_table}" u
            WHERE u.is_active AND (u.is_superuser OR EXISTS (
                SELECT 1 FROM "{user_groups}" ug JOIN "{Group._meta.db_table}" g ON g.id = ug.group_id
                WHERE ug.user_id = u.id AND g.name = ANY(%(staff_roles)s)))""",
        "x.username",
    )
    macros = _json_list("x.id, x.name", f'SELECT id, name FROM "{Macro._meta.db_table}"', "x.name, x.id")
    return f"""
        SELECT {_columns(Ticket, "t")}, {_columns(Customer, "c")},
            ARRAY(SELECT tag.name FROM "{Tag._meta.db_table}" tag
                  JOIN "{ticket_tags.db_table}" tt ON tt.tag_id = tag.id
                  WHERE tt.ticket_id = t.id ORDER BY tag.name),
            ARRAY(SELECT ARRAY[i.kind, i.address]::text[] FROM "{ContactIdentity._meta.db_table}" i
                  WHERE i.customer_id = t.customer_id ORDER BY i.id),
            (SELECT m.created_at FROM "{messages}" m
             WHERE m.customer_id = t.customer_id AND m.channel = %(whatsapp)s AND m.direction = %(inbound)s
             ORDER BY m.created_at DESC LIMIT 1),
            (SELECT s.started_at FROM "{ChatSessionLog._meta.db_table}" s
             WHERE s.ticket_id = t.id AND s.ended_at IS NULL ORDER BY s.id LIMIT 1),
            ARRAY(SELECT ms.score FROM "{MessageSentiment._meta.db_table}" ms
                  WHERE ms.customer_id = t.customer_id ORDER BY ms.created_at DESC LIMIT %(mood_messages)s),
            (SELECT ARRAY[m.channel, m.metadata ->> 'reply_channel'] FROM "{messages}" m
             WHERE m.ticket_id = t.id AND m.direction = %(inbound)s AND NOT m.is_auto_reply AND NOT m.is_automatic
             ORDER BY m.created_at DESC, m.id DESC LIMIT 1),
            {past_tickets}, {activities}, {surveys}, {claims}, {canned}, {assignees}, {macros}
        FROM "{tickets}" t JOIN "{customers}" c ON c.id = t.customer_id
        WHERE t.id = %(ticket_id)s"""


_PARAMS = {
    "whatsapp": Channel.WHATSAPP.value,
    "inbound": Direction.IN.value,
    "answered": Survey.Status.ANSWERED.value,
    "mood_messages": MOOD_MESSAGES,
    "past_tickets": PAST_TICKETS,
    "activities": ACTIVITIES,
    "surveys": SURVEYS,
    "canned_preview": console_selectors.CANNED_PREVIEW,
    "staff_roles": list(STAFF_ROLES),
}


def _time(value: str | None) -> datetime | None:
    # JSON holds a timestamptz as PostgreSQL writes it in ISO 8601, with its offset.
    return datetime.fromisoformat(value) if value else None


def _instance(model, values: dict):
    """A model instance holding only these fields (the others deferred), as a query
    with .only() would make it."""
    fields = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, fields, [values[name] for name in fields])


def _activity(id_, kind, created_at, actor_id, username) -> TicketActivity:
    activity = _instance(
        TicketActivity, {"id": id_, "kind": kind, "created_at": _time(created_at), "actor_id": actor_id}
    )
    if actor_id is not None:
        actor = _instance(get_user_model(), {"id": actor_id, get_user_model().USERNAME_FIELD: username})
        TicketActivity.actor.field.set_cached_value(activity, actor)
    return activity


def _claim(id_, kind, address, verified_at, may_be_id, may_be_name) -> IdentityClaim:
    claim = _instance(IdentityClaim, {"id": id_, "kind": kind, "address": address,
                                      "verified_at": _time(verified_at), "may_be_id": may_be_id})  # fmt: skip
    if may_be_id is not None:
        may_be = _instance(Customer, {"id": may_be_id, "name": may_be_name})
        IdentityClaim.may_be.field.set_cached_value(claim, may_be)
    return claim


def _survey(id_, kind, score, scale_max, answered_at, comment) -> Survey:
    return _instance(Survey, {"id": id_, "kind": kind, "score": score, "scale_max": scale_max,
                              "answered_at": _time(answered_at), "comment": comment})  # fmt: skip


def ticket_page(*, ticket_id: int, user) -> TicketPage:
    """The ticket with its customer, tags, the customer's addresses, their last WhatsApp
    message's time, the open chat session's start, the sentiment of their latest
    messages, their last message on the ticket, their other tickets, the ticket's
    activities, their surveys and claimed addresses, and the canned responses of
    `user`, the assignees and the macros, in one query. Raises Ticket.DoesNotExist."""
    if connection.vendor != "postgresql":
        return _ticket_page_by_queries(ticket_id, user=user)
    with connection.cursor() as cursor:
        cursor.execute(_ticket_page_sql(), {**_PARAMS, "ticket_id": ticket_id, "user_id": user.pk})
        row = cursor.fetchone()
    if row is None:
        raise Ticket.DoesNotExist(f"No ticket {ticket_id}")
    # The ticket's and the customer's columns come first, in their models' order.
    split, end = len(Ticket._meta.concrete_fields), len(Ticket._meta.concrete_fields + Customer._meta.concrete_fields)
    ticket = Ticket.from_db(connection.alias, [field.attname for field in Ticket._meta.concrete_fields], row[:split])
    customer = Customer.from_db(
        connection.alias, [field.attname for field in Customer._meta.concrete_fields], row[split:end]
    )
    Ticket.customer.field.set_cached_value(ticket, customer)
    (tag_names, identities, last_whatsapp, chat_started_at, scores, last_inbound,
     past_tickets, activities, surveys, claims, canned, assignees, macros) = row[end:]  # fmt: skip
    return TicketPage(
        ticket=ticket,
        tag_names=tag_names,
        identities=[(kind, address) for kind, address in identities],
        last_whatsapp_inbound_at=last_whatsapp,
        chat_started_at=chat_started_at,
        recent_scores=scores,
        last_inbound=(last_inbound[0], last_inbound[1]) if last_inbound else None,
        past_tickets=[
            _instance(Ticket, {"id": id_, "subject": subject, "status": status})
            for id_, subject, status in past_tickets
        ],
        activities=[_activity(*values) for values in activities],
        surveys=[_survey(*values) for values in surveys],
        claims=[_claim(*values) for values in claims],
        canned_menu=[
            console_selectors.canned_menu_entry(
                id_=id_, title=title, owner_id=owner_id, team_id=team_id, team_name=team_name, preview=preview
            )
            for id_, title, owner_id, team_id, team_name, preview in canned
        ],
        assignees=[(id_, username) for id_, username in assignees],
        macros=[{"pk": id_, "name": name} for id_, name in macros],
    )


def _ticket_page_by_queries(ticket_id: int, *, user) -> TicketPage:
    """The same page in a query per part, for the embedded SQLite database, which
    has none of the arrays and JSON functions the single statement is made of."""
    ticket = Ticket.objects.select_related("customer").get(pk=ticket_id)
    customer_id = ticket.customer_id
    last_inbound = (
        Message.objects.filter(ticket_id=ticket_id, direction=Direction.IN, is_auto_reply=False, is_automatic=False)
        .order_by("-created_at", "-id")
        .values_list("channel", "metadata")
        .first()
    )
    return TicketPage(
        ticket=ticket,
        tag_names=list(ticket.tags.order_by("name").values_list("name", flat=True)),
        identities=list(
            ContactIdentity.objects.filter(customer_id=customer_id).order_by("id").values_list("kind", "address")
        ),
        last_whatsapp_inbound_at=Message.objects.filter(
            customer_id=customer_id, channel=Channel.WHATSAPP, direction=Direction.IN
        ).aggregate(last=Max("created_at"))["last"],
        chat_started_at=ChatSessionLog.objects.filter(ticket_id=ticket_id, ended_at__isnull=True)
        .order_by("id")
        .values_list("started_at", flat=True)
        .first(),
        recent_scores=list(
            MessageSentiment.objects.filter(customer_id=customer_id)
            .order_by("-created_at")
            .values_list("score", flat=True)[:MOOD_MESSAGES]
        ),
        last_inbound=(last_inbound[0], (last_inbound[1] or {}).get("reply_channel")) if last_inbound else None,
        past_tickets=list(
            Ticket.objects.filter(customer_id=customer_id)
            .exclude(pk=ticket_id)
            .order_by("-created_at", "-id")
            .only("id", "subject", "status")[:PAST_TICKETS]
        ),
        activities=list(
            TicketActivity.objects.filter(ticket_id=ticket_id)
            .select_related("actor")
            .order_by("-created_at", "-id")[:ACTIVITIES]
        ),
        surveys=list(
            Survey.objects.filter(customer_id=customer_id, status=Survey.Status.ANSWERED).order_by(
                "-answered_at", "-id"
            )[:SURVEYS]
        ),
        claims=list(
            IdentityClaim.objects.filter(customer_id=customer_id).select_related("may_be").order_by("created_at", "id")
        ),
        canned_menu=console_selectors.canned_menu(user=user),
        assignees=list(console_selectors.staff_users().values_list("pk", "username")),
        macros=list(console_selectors.macro_list().values("pk", "name")),
    )


def customer_feedback(*, surveys: list[Survey], recent_scores: list[float]) -> dict:
    """The customer's answered surveys and their recent mood (the average of
    `recent_scores`; a low score means churn risk)."""
    score = sum(recent_scores) / len(recent_scores) if recent_scores else None
    if score is None:
        churn_risk = None
    elif score <= -0.4:
        churn_risk = "high"
    elif score < 0:
        churn_risk = "medium"
    else:
        churn_risk = "low"
    return {
        "surveys": surveys,
        "sentiment": score,
        "sentiment_n": len(recent_scores),
        "churn_risk": churn_risk,
    }
