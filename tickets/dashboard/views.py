"""The supervisor dashboard, its CSV export, and the escalation rules editor."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from tickets.dashboard.forms import EscalationRuleForm
from tickets.kpi_api import kpi_filters_from
from tickets.models import Channel, Customer, EscalationRule, Role, Team, Ticket
from tickets.models.rules import ACTION_TYPES, CONDITION_TYPES, REPEAT_CONTACT_PARTS, RuleType
from tickets.permissions import is_supervisor
from tickets.selectors.kpis import KPI_TICKET_COLUMNS, kpi_ticket_rows
from tickets.selectors.sla import sla_counts

User = get_user_model()


def supervisor_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_supervisor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _agents():
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN])
        .distinct()
        .order_by("username")
    )


@supervisor_required
def dashboard(request):
    """Tiles and charts filled by static/dashboard/dashboard.js from the KPI API."""
    today = timezone.localdate()
    context = {
        "channels": Channel.choices,
        "teams": Team.objects.all(),
        "agents": _agents(),
        "default_from": (today - timedelta(days=29)).isoformat(),
        "default_to": today.isoformat(),
        "sla": sla_counts(),
        "strings": {
            "empty": _("No data in this range"),
            "updated": _("Updated"),
            "judged": _("judged"),
            "provisional": _("provisional"),
            "answers": _("answers"),
            "now": _("now"),
            "end": _("at the end of the range"),
            "p90": _("p90"),
            "business": _("business hours"),
            "satisfied": _("satisfied"),
            "error": _("Could not load the figures"),
            "noAgents": _("No agent activity in this range"),
            "tickets": _("tickets"),
            "reopened": _("reopened"),
            "escalated": _("escalated"),
        },
    }
    return render(request, "dashboard/index.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@supervisor_required
def export_csv(request):
    """One row per ticket created in the range, with its KPI facts, streamed."""
    try:
        filters, _detail = kpi_filters_from(request.GET)
    except ValidationError as exc:
        return HttpResponse(str(exc.detail), status=400, content_type="text/plain; charset=utf-8")
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow([header for header, _key in KPI_TICKET_COLUMNS])
        for row in kpi_ticket_rows(filters=filters).iterator(chunk_size=2000):
            yield writer.writerow(["" if row[key] is None else row[key] for _header, key in KPI_TICKET_COLUMNS])

    filename = f"kpis-{filters.date_from}-{filters.date_to}.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@supervisor_required
def rule_list(request):
    rules = EscalationRule.objects.order_by("position", "id")
    return render(request, "dashboard/rules.html", {"rules": rules})


def _editor_types(types: dict[str, RuleType]) -> dict[str, dict]:
    return {key: {"label": kind.label, "help": kind.help} for key, kind in types.items()}


def _builder_context(form, rule=None) -> dict:
    return {
        "form": form,
        "rule": rule,
        "condition_types": _editor_types(CONDITION_TYPES),
        "action_types": _editor_types(ACTION_TYPES),
        "builder_options": {
            "channels": [[value, str(label)] for value, label in Channel.choices],
            "tiers": [[value, str(label)] for value, label in Customer.Tier.choices],
            "priorities": [[value, str(label)] for value, label in Ticket.Priority.choices],
            "teams": [[team.pk, team.name] for team in Team.objects.all()],
            "agents": [[user.pk, user.get_full_name() or user.get_username()] for user in _agents()],
            "sentiments": [["negative", _("negative")], ["severe", _("angry or threatening")]],
            "sla_states": [["at_risk", _("at risk (or breached)")], ["breached", _("breached")]],
        },
        "builder_strings": {
            "remove": _("Remove"),
            "any": _("any"),
            "team": _("team"),
            "agent": _("agent"),
            "contacts": REPEAT_CONTACT_PARTS["contacts"],
            "days": REPEAT_CONTACT_PARTS["days"],
            "assignee": _("the assignee"),
            "supervisors": _("the supervisors"),
            "email": _("also by email"),
            "commaSeparated": _("separated by commas"),
        },
    }


@supervisor_required
def rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(EscalationRule, pk=pk) if pk is not None else None
    form = EscalationRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if rule is None:
            saved.created_by = request.user
        saved.updated_at = timezone.now()
        saved.save()
        messages.success(request, _("The rule “%(name)s” is saved.") % {"name": saved.name})
        return redirect("rules:list")
    status = 400 if form.errors else 200
    return render(request, "dashboard/rule_form.html", _builder_context(form, rule), status=status)


@require_POST
@supervisor_required
def rule_delete(request, pk: int):
    rule = get_object_or_404(EscalationRule, pk=pk)
    name = rule.name
    rule.delete()
    messages.success(request, _("The rule “%(name)s” is deleted.") % {"name": name})
    return redirect("rules:list")
