"""The dev outbox page of the console: what the helpdesk "sent", newest first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from channels_app.models import DevOutboxMessage
from channels_app.outbox.store import dev_outbox_active, email_configured, twilio_configured
from tickets.console.views import agent_required
from tickets.services.sanitize import sanitize_html

PAGE_SIZE = 25


@require_GET
@agent_required
def outbox(request: HttpRequest) -> HttpResponse:
    channel = request.GET.get("channel", "")
    entries = DevOutboxMessage.objects.all()
    if channel in DevOutboxMessage.Channel.values:
        entries = entries.filter(channel=channel)
    else:
        channel = ""
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page:
        entry.safe_html = sanitize_html(entry.html) if entry.html else ""
    return render(
        request,
        "console/dev_outbox.html",
        {
            "page": page,
            "channel": channel,
            "channels": DevOutboxMessage.Channel.choices,
            "active": dev_outbox_active(),
            "email_in_outbox": not email_configured(),
            "twilio_in_outbox": not twilio_configured(),
        },
    )
