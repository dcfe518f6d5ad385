"""Canned responses and macros. Placeholders are substituted as plain text by a
fixed table, never by a template engine: a customer named "{{ settings.SECRET_KEY }}"
or "{% debug %}" stays exactly that string."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from tickets.models import CannedResponse, Macro, Message, Team, Ticket
from tickets.permissions import is_supervisor
from tickets.selectors.console import canned_scope
from tickets.services import tickets as ticket_services
from tickets.services.console import console_reply_send
from tickets.services.sanitize import strip_control_chars

CANNED_SCOPES = ("personal", "team", "shared")

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def _agent_name(agent) -> str:
    if agent is None:
        return ""
    return agent.get_full_name() or agent.get_username()


def _placeholder_values(*, ticket: Ticket, agent) -> dict[str, Callable[[], str]]:
    return {
        "customer.name": lambda: ticket.customer.name or "",
        "ticket.reference": lambda: ticket.reference,
        "ticket.subject": lambda: ticket.subject,
        "agent.name": lambda: _agent_name(agent),
        "agent.first_name": lambda: getattr(agent, "first_name", "") or _agent_name(agent),
    }


def placeholders_render(*, body: str, ticket: Ticket, agent) -> str:
    """One pass over the body: substituted values are never scanned again, and
    unknown placeholders are left as they were written."""
    values = _placeholder_values(ticket=ticket, agent=agent)

    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return value() if value is not None else match.group(0)

    return PLACEHOLDER.sub(substitute, body)


class CannedResponseError(ValueError):
    pass


@dataclass(frozen=True)
class CannedRights:
    """What one agent may manage, read once per request."""

    user_id: int
    supervisor: bool
    team_ids: frozenset[int]

    def can_manage(
        self, *, response: CannedResponse | None = None, scope: str = "", team_id: int | None = None
    ) -> bool:
        """Personal responses belong to their owner; a team's to its members and the
        supervisors; shared ones to the supervisors."""
        if response is not None:
            if response.owner_id:
                return response.owner_id == self.user_id
            scope, team_id = canned_scope(response), response.team_id
        if scope == "personal":
            return True
        return self.supervisor or (scope == "team" and team_id in self.team_ids)


def canned_rights(*, user) -> CannedRights:
    profile = getattr(user, "agent_profile", None)
    team_ids = frozenset(profile.teams.values_list("pk", flat=True)) if profile is not None else frozenset()
    return CannedRights(user_id=user.pk, supervisor=is_supervisor(user), team_ids=team_ids)


def _check(*, user, title: str, body: str, scope: str, team: Team | None, response=None) -> tuple[str, str]:
    title, body = strip_control_chars(title).strip(), strip_control_chars(body).strip()
    if not title or not body:
        raise CannedResponseError(_("A canned response needs a title and a text."))
    if scope not in CANNED_SCOPES:
        raise CannedResponseError(_("Choose personal, team or shared."))
    if scope == "team" and team is None:
        raise CannedResponseError(_("Choose the team this response is for."))
    rights = canned_rights(user=user)
    team_id = team.pk if team is not None else None
    if (response is not None and not rights.can_manage(response=response)) or not rights.can_manage(
        scope=scope, team_id=team_id
    ):
        raise PermissionDenied(_("You may not manage this canned response."))
    return title[:120], body


@transaction.atomic
def canned_create(*, user, title: str, body: str, scope: str, team: Team | None = None) -> CannedResponse:
    title, body = _check(user=user, title=title, body=body, scope=scope, team=team)
    return CannedResponse.objects.create(
        title=title,
        body=body,
        owner=user if scope == "personal" else None,
        team=team if scope == "team" else None,
    )


@transaction.atomic
def canned_update(
    *, response: CannedResponse, user, title: str, body: str, scope: str, team: Team | None = None
) -> CannedResponse:
    title, body = _check(user=user, title=title, body=body, scope=scope, team=team, response=response)
    response.title, response.body = title, body
    response.owner = user if scope == "personal" else None
    response.team = team if scope == "team" else None
    response.save(update_fields=["title", "body", "owner", "team"])
    return response


@transaction.atomic
def canned_delete(*, response: CannedResponse, user) -> None:
    if not canned_rights(user=user).can_manage(response=response):
        raise PermissionDenied(_("You may not manage this canned response."))
    response.delete()


@transaction.atomic
def macro_apply(*, macro: Macro, ticket: Ticket, actor, channel: str | None = None) -> Message | None:
    """Sends the macro's reply (if it has one), then sets status, priority and tags."""
    message = None
    if macro.reply_body.strip():
        text = placeholders_render(body=macro.reply_body, ticket=ticket, agent=actor)
        message = console_reply_send(ticket=ticket, author=actor, text=text, channel=channel)
        ticket.refresh_from_db()
    if macro.set_priority:
        ticket_services.ticket_set_priority(ticket=ticket, priority=macro.set_priority, actor=actor)
    if macro.add_tags:
        ticket_services.ticket_add_tags(ticket=ticket, names=[str(name) for name in macro.add_tags], actor=actor)
    if macro.set_status:
        ticket_services.ticket_set_status(ticket=ticket, status=macro.set_status, actor=actor)
    return message
