"""The supervisor dashboard, its CSV export, and the escalation rules editor."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from tickets.dashboard.forms import EscalationRuleForm
from tickets.kpi_api import kpi_filters_from
from tickets.models import Channel, Customer, EscalationRule, Role, Team, Ticket
from tickets.models.rules import ACTION_TYPES, CONDITION_TYPES, REPEAT_CONTACT_PARTS, RuleType
from tickets.permissions import is_supervisor
from tickets.selectors.kpi_rows import SURVEY_METRICS, FCRReason, kpi_detail_row, kpi_detail_rows
from tickets.selectors.kpis import KPI_TICKET_COLUMNS, kpi_ticket_rows
from tickets.selectors.sla import sla_counts
from tickets.templatetags.kpi_tags import duration_units

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
        "time_zone": settings.TIME_ZONE,
        "strings": {
            "empty": _("No data in this range"),
            "updated": _("Updated"),
            "judged": _("judged"),
            "provisional": _("provisional"),
            "answers": _("answers"),
            "now": _("now"),
            "end": _("at the end of the range"),
            "p90": _("p90"),
            "business": _("in business hours"),
            "units": duration_units(),
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


METRIC_TITLES = {
    "volume": gettext_lazy("Tickets created"),
    "first_response": gettext_lazy("First response"),
    "escalated": gettext_lazy("Escalated tickets"),
    "fcr": gettext_lazy("First contact resolution"),
    "resolution": gettext_lazy("Resolution"),
    "reopened": gettext_lazy("Reopened tickets"),
    "csat": gettext_lazy("CSAT answers"),
    "ces": gettext_lazy("Customer effort answers"),
    "nps": gettext_lazy("NPS answers"),
}
FCR_REASONS = {
    FCRReason.UNRESOLVED: gettext_lazy("not resolved"),
    FCRReason.AGENT_INITIATED: gettext_lazy("opened by an agent"),
    FCRReason.REOPENED: gettext_lazy("reopened"),
    FCRReason.REPEAT_CONTACT: gettext_lazy("the customer came back"),
    FCRReason.NO_REPLY: gettext_lazy("no reply"),
    FCRReason.SEVERAL_REPLIES: gettext_lazy("several replies"),
}
ROWS_PER_PAGE = 50


@supervisor_required
def kpi_rows(request):
    """The tickets or answers behind one tile, with what decided each."""
    metric = request.GET.get("metric", "")
    if metric not in METRIC_TITLES:
        return HttpResponse(_("Unknown figure."), status=400, content_type="text/plain; charset=utf-8")
    try:
        filters, _detail = kpi_filters_from(request.GET)
    except ValidationError as exc:
        return HttpResponse(str(exc.detail), status=400, content_type="text/plain; charset=utf-8")
    page = Paginator(kpi_detail_rows(filters=filters, metric=metric), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [kpi_detail_row(item, now=now) for item in page.object_list]
    channels = dict(Channel.choices)
    for row in rows:
        row["channel_label"] = channels.get(row["channel"], row["channel"])
        if row.get("fcr_reason"):
            row["fcr_reason_label"] = FCR_REASONS.get(row["fcr_reason"], row["fcr_reason"])
        if row.get("answered_at"):
            row["answered"] = datetime.fromisoformat(row["answered_at"])
        repeat = row.get("repeat_contact")
        if repeat:
            repeat["channel_label"] = channels.get(repeat["channel"], repeat["channel"])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "metric": metric,
        "title": METRIC_TITLES[metric],
        "filters": filters,
        "rows": rows,
        "page": page,
        "query": query.urlencode(),
        "is_survey": metric in SURVEY_METRICS,
        "window_days": settings.FCR_WINDOW_DAYS,
    }
    return render(request, "dashboard/rows.html", context)


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
