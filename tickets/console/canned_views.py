"""The console's page for canned responses: list and search them, write, change
and remove them. Who may change which is decided by tickets.services.canned."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tickets.console.forms import CannedResponseForm
from tickets.console.views import agent_required
from tickets.selectors import console as console_selectors
from tickets.services import canned


@require_http_methods(["GET", "POST"])
@agent_required
def canned_list(request: HttpRequest) -> HttpResponse:
    """The list, searchable, with the form for a new response beside it."""
    form = CannedResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            canned.canned_create(
                user=request.user, title=data["title"], body=data["body"], scope=data["scope"], team=data["team"]
            )
        except (canned.CannedResponseError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Canned response saved."))
            return redirect("console:canned-list")
    query = request.GET.get("q", "")[:200]
    rights = canned.canned_rights(user=request.user)
    responses = list(console_selectors.canned_search(user=request.user, query=query))
    for response in responses:
        response.scope = console_selectors.canned_scope(response)
        response.editable = rights.can_manage(response=response)
    return render(
        request,
        "console/canned_list.html",
        {"responses": responses, "form": form, "query": query},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@agent_required
def canned_edit(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(console_selectors.canned_search(user=request.user), pk=pk)
    if not canned.canned_rights(user=request.user).can_manage(response=response):
        raise PermissionDenied
    initial = {
        "title": response.title,
        "body": response.body,
        "scope": console_selectors.canned_scope(response),
        "team": response.team_id,
    }
    form = CannedResponseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            canned.canned_update(
                response=response,
                user=request.user,
                title=data["title"],
                body=data["body"],
                scope=data["scope"],
                team=data["team"],
            )
        except (canned.CannedResponseError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Canned response saved."))
            return redirect("console:canned-list")
    return render(
        request,
        "console/canned_edit.html",
        {"response": response, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@agent_required
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(console_selectors.canned_search(user=request.user), pk=pk)
    try:
        canned.canned_delete(response=response, user=request.user)
    except PermissionDenied:
        messages.error(request, _("You may not manage this canned response."))
    else:
        messages.success(request, _("Canned response deleted."))
    return redirect("console:canned-list")
