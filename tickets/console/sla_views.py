"""Supervisors' settings pages in the console: SLA policies and business calendars."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tickets.console.forms import CalendarForm, SLAPolicyForm
from tickets.console.views import supervisor_required
from tickets.models import BusinessCalendar, SLAPolicy
from tickets.services import sla_settings


def _sla_page(request: HttpRequest, *, form: SLAPolicyForm | None = None, status: int = 200) -> HttpResponse:
    context = {
        "policies": list(SLAPolicy.objects.order_by("priority", "tier", "name")),
        "calendars": list(BusinessCalendar.objects.prefetch_related("teams", "hours").order_by("name")),
        "form": form or SLAPolicyForm(),
    }
    return render(request, "console/sla_settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@supervisor_required
def sla_settings_page(request: HttpRequest) -> HttpResponse:
    """The policies and calendars, and the form for a new policy."""
    if request.method == "GET":
        return _sla_page(request)
    form = SLAPolicyForm(request.POST)
    if form.is_valid():
        try:
            sla_settings.sla_policy_save(policy=None, **form.cleaned_data)
        except sla_settings.SLASettingsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("SLA policy saved."))
            return redirect("console:sla-settings")
    return _sla_page(request, form=form, status=400)


@require_http_methods(["GET", "POST"])
@supervisor_required
def sla_policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(SLAPolicy, pk=pk)
    initial = {
        "name": policy.name,
        "priority": policy.priority,
        "tier": policy.tier,
        "first_response_minutes": policy.first_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "active": policy.active,
    }
    form = SLAPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            sla_settings.sla_policy_save(policy=policy, **form.cleaned_data)
        except sla_settings.SLASettingsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("SLA policy saved."))
            return redirect("console:sla-settings")
    status = 400 if form.errors else 200
    return render(request, "console/sla_policy.html", {"policy": policy, "form": form}, status=status)


@require_POST
@supervisor_required
def sla_policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    sla_settings.sla_policy_delete(policy=get_object_or_404(SLAPolicy, pk=pk))
    messages.success(request, _("SLA policy deleted."))
    return redirect("console:sla-settings")


def _calendar_initial(calendar: BusinessCalendar) -> dict:
    initial = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "is_default": calendar.is_default,
        "teams": list(calendar.teams.all()),
        "holidays": "\n".join(f"{h.date.isoformat()} {h.name}".strip() for h in calendar.holidays.all()),
    }
    for slot in calendar.hours.all():
        initial.update({f"open_{slot.weekday}": True, f"opens_{slot.weekday}": slot.opens, f"closes_{slot.weekday}": slot.closes})
    return initial


@require_http_methods(["GET", "POST"])
@supervisor_required
def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    calendar = get_object_or_404(BusinessCalendar, pk=pk) if pk else None
    initial = _calendar_initial(calendar) if calendar else {"time_zone": "Asia/Bangkok"}
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        hours = [
            sla_settings.OpeningHours(day, data[f"opens_{day}"], data[f"closes_{day}"])
            for day in range(7)
            if data.get(f"open_{day}")
        ]
        try:
            sla_settings.calendar_save(
                calendar=calendar,
                name=data["name"],
                time_zone=data["time_zone"],
                is_default=data["is_default"],
                teams=list(data["teams"]),
                hours=hours,
                holidays=data["holiday_list"],
            )
        except sla_settings.SLASettingsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Calendar saved."))
            return redirect("console:sla-settings")
    status = 400 if form.errors else 200
    return render(request, "console/calendar.html", {"calendar": calendar, "form": form}, status=status)
