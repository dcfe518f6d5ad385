"""The inbox: its views and their counts, saved views, keyset pages and bulk actions."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tickets.console.forms import BulkActionForm, InboxFilterForm, SavedViewForm
from tickets.console.inbox_rows import ticket_rows_html
from tickets.console.views import PAGE_SIZE, _back, _form_errors, agent_required
from tickets.models import Channel, Ticket
from tickets.selectors import console as console_selectors
from tickets.selectors.inbox import TicketFilters
from tickets.selectors.inbox_counts import count_label, inbox_counts
from tickets.selectors.keyset import InvalidCursor
from tickets.selectors.staff_choices import staff_and_teams
from tickets.selectors.ticket_rows import inbox_row, inbox_rows_page
from tickets.services import console, saved_views

# Query parameters that belong to one page of the inbox, not to the view.
_PAGE_PARAMETERS = ("after", "page", "partial")


@lru_cache(maxsize=8)
def _translated_choices(language: str) -> dict[str, list[tuple]]:
    """The selects' choices with their lazy labels translated once per language: the
    template writes some of them twice, and a lazy label costs more each time it is
    written. They are constants of the code, so each language's are kept."""

    def translated(choices) -> list[tuple]:
        return [(value, str(label)) for value, label in choices]

    return {
        "sorts": translated(InboxFilterForm.base_fields["sort"].choices),
        "bulk_actions": translated(BulkActionForm.ACTIONS),
        "statuses": translated(Ticket.Status.choices),
        "channels": translated(Channel.choices),
        "priorities": translated(Ticket.Priority.choices),
    }


def _filter_choices(request: HttpRequest) -> dict:
    """The filter and bulk selects, written by the template itself (Django's widget
    templates cost a millisecond a select), with the staff and teams from the cache."""
    get = request.GET
    return {
        **_translated_choices(get_language()),
        **staff_and_teams(),
        "selected": {
            "status": get.getlist("status"),
            "channel": get.getlist("channel"),
            "priority": [int(p) for p in get.getlist("priority") if p.isdigit()],
            "team": int(get["team"]) if get.get("team", "").isdigit() else None,
            "assignee": int(get["assignee"]) if get.get("assignee", "").isdigit() else None,
            "tag": get.get("tag", ""),
        },
    }


@require_GET
@agent_required
def inbox(request: HttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET or None)
    params = request.GET.copy()
    for name in _PAGE_PARAMETERS:
        params.pop(name, None)
    context = {"form": form, "page": None, "view": "all", "query_string": params.urlencode()}
    if form.is_bound and not form.is_valid():
        return render(request, "console/inbox.html", context | _filter_choices(request), status=400)
    view = (form.cleaned_data.get("view") if form.is_bound else "") or "mine"
    inbox_query = console_selectors.InboxQuery(
        view=view,
        filters=form.ticket_filters() if form.is_bound else TicketFilters(),
        query=form.cleaned_data.get("q", "") if form.is_bound else "",
        sort=form.cleaned_data.get("sort", "") if form.is_bound else "",
    )
    cursor = request.GET.get("after", "")
    try:
        page = inbox_rows_page(user=request.user, inbox=inbox_query, cursor=cursor, size=PAGE_SIZE)
    except InvalidCursor:
        context["cursor_error"] = _("This page link is not valid any more. Start again from the newest tickets.")
        return render(request, "console/inbox.html", context | _filter_choices(request), status=400)
    saved = console_selectors.saved_views_for(user=request.user)
    counts = inbox_counts(user=request.user, saved_views=saved)
    for saved_view in saved:
        saved_view.count_label = count_label(counts[f"saved-{saved_view.pk}"])
    base = "?" + (params.urlencode() + "&" if params else "")
    context |= {
        "page": page.rows,
        "rows_html": ticket_rows_html(page.rows),
        "view": view,
        "views": _view_tabs(view, counts),
        "newest_url": ("?" + params.urlencode()) if cursor else "",
        "older_url": base + urlencode({"after": page.next_cursor}) if page.next_cursor else "",
        "filters_active": any(request.GET.get(name) for name in form.fields if name not in ("view", "q")),
        "saved_views": saved,
        "saved_view_query": params.urlencode(),
        "sort_params": [(key, value) for key in params for value in params.getlist(key) if key != "sort"],
        "sort": form.cleaned_data.get("sort", "") if form.is_bound else "",
    }
    # The live inbox fetches its rows and counts again whenever something changes.
    if request.GET.get("partial"):
        return render(request, "console/_inbox_live.html", context)
    return render(request, "console/inbox.html", context | _filter_choices(request))


def _view_tabs(current: str, counts: dict) -> list[dict]:
    labels = {
        "mine": _("Mine"),
        "unassigned": _("Unassigned"),
        "team": _("My teams"),
        "all": _("All"),
        "sla_at_risk": _("SLA at risk"),
    }
    inbox_url = reverse("console:inbox")
    return [
        {
            "key": key,
            "label": labels[key],
            "count": count_label(counts.get(key)),
            "url": f"{inbox_url}?{urlencode({'view': key})}",
            "active": key == current,
        }
        for key in console_selectors.INBOX_VIEWS
    ]


@require_POST
@agent_required
def saved_view_save(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, reverse("console:inbox"))
    try:
        view = saved_views.saved_view_save(
            user=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
        )
    except saved_views.SavedViewError as exc:
        messages.error(request, str(exc))
        return _back(request, reverse("console:inbox"))
    return redirect(reverse("console:inbox") + "?" + view.query)


@require_POST
@agent_required
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved_views.saved_view_delete(user=request.user, view_id=pk)
    return _back(request, reverse("console:inbox"))


@require_GET
@agent_required
def ticket_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One inbox row, for a page that wants to refresh a single ticket."""
    row = inbox_row(ticket_id=pk)
    if row is None:
        raise Http404
    return HttpResponse(ticket_rows_html([row]))


@require_POST
@agent_required
def bulk(request: HttpRequest) -> HttpResponse:
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, reverse("console:inbox"))
    data = form.cleaned_data
    action = data["action"]
    try:
        updated = console.tickets_bulk_update(
            ticket_ids=data["tickets"],
            actor=request.user,
            assignee=request.user if action == "assign_me" else data.get("assignee") if action == "assign" else None,
            unassign=action == "unassign",
            status=data.get("status") or "" if action == "status" else "",
            priority=data.get("priority") if action == "priority" else None,
            tags=[data["tag"]] if action == "tag" else None,
        )
    except console.BulkActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(count)d tickets updated.") % {"count": len(updated)})
    return _back(request, reverse("console:inbox"))
