"""The dev outbox page of the console: what the helpdesk "sent", newest first. The
page asks for what arrived since it was drawn (?after=ID), so a sign-in link shows
up without a reload."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from channels_app.models import DevOutboxMessage
from channels_app.outbox.store import dev_outbox_active, email_configured, twilio_configured
from tickets.console.views import agent_required
from tickets.services.sanitize import sanitize_html

PAGE_SIZE = 25


def _with_safe_html(entries) -> list[DevOutboxMessage]:
    entries = list(entries)
    for entry in entries:
        entry.safe_html = sanitize_html(entry.html) if entry.html else ""
    return entries


@require_GET
@agent_required
def outbox(request: HttpRequest) -> HttpResponse:
    channel = request.GET.get("channel", "")
    entries = DevOutboxMessage.objects.all()
    if channel in DevOutboxMessage.Channel.values:
        entries = entries.filter(channel=channel)
    else:
        channel = ""
    after = request.GET.get("after")
    if after is not None:
        if not after.isdigit():
            return HttpResponseBadRequest(_("“after” must be a message id."))
        newer = _with_safe_html(entries.filter(pk__gt=int(after))[:PAGE_SIZE])
        return render(request, "console/_dev_outbox_items.html", {"entries": newer})
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_safe_html(page.object_list)
    return render(
        request,
        "console/dev_outbox.html",
        {
            "page": page,
            "channel": channel,
            "channels": DevOutboxMessage.Channel.choices,
            "last_id": DevOutboxMessage.objects.aggregate(last=Max("pk"))["last"] or 0,
            "active": dev_outbox_active(),
            "email_in_outbox": not email_configured(),
            "twilio_in_outbox": not twilio_configured(),
        },
    )


@require_POST
@agent_required
def outbox_clear(request: HttpRequest) -> HttpResponse:
    DevOutboxMessage.objects.all().delete()
    return redirect("outbox:list")
