"""The ticket page: the latest messages of the customer, older ones fetched as the
agent scrolls up, and the single entries the live page fetches."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kb.selectors import article_suggestions, preferred_language
from tickets.console.forms import TicketUpdateForm
from tickets.console.timeline_entries import timeline_entries
from tickets.console.views import agent_required
from tickets.models import ContactIdentity, Ticket
from tickets.selectors.keyset import InvalidCursor, KeysetPage
from tickets.selectors.ticket_page import customer_feedback, ticket_page
from tickets.selectors.timeline import customer_timeline_page, timeline_rows
from tickets.services.replies import reply_channel_after, reply_channel_options
from tickets.templatetags.choice_labels import translated_labels

TIMELINE_PAGE = 30


def _older_url(ticket_id: int, page: KeysetPage) -> str:
    if not page.next_cursor:
        return ""
    return reverse("console:timeline", args=[ticket_id]) + "?before=" + page.next_cursor


@require_GET
@agent_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        facts = ticket_page(ticket_id=pk, user=request.user)
    except Ticket.DoesNotExist:
        raise Http404 from None
    ticket = facts.ticket
    page = customer_timeline_page(customer_id=ticket.customer_id, size=TIMELINE_PAGE)
    rows = page.rows[::-1]
    identity_kinds = {kind for kind, _address in facts.identities}
    channel_options = reply_channel_options(
        ticket=ticket, identity_kinds=identity_kinds, claim_kinds={claim.kind for claim in facts.claims}
    )
    # Read once and cached on the user: the canned responses and the page's header ask again.
    profile = getattr(request.user, "agent_profile", None)
    reply_channel = reply_channel_after(
        ticket_channel=ticket.channel, last_inbound=facts.last_inbound, options=channel_options
    )
    identity_labels = translated_labels(ContactIdentity, "kind")
    context = {
        "ticket": ticket,
        "customer": ticket.customer,
        "tag_names": facts.tag_names,
        "identities": [(identity_labels.get(kind, kind), address) for kind, address in facts.identities],
        "chat_started_at": facts.chat_started_at,
        "timeline": timeline_entries(rows, current_ticket_id=ticket.pk),
        "older_url": _older_url(ticket.pk, page),
        **_update_options(assignees=facts.assignees),
        "reply_channel": reply_channel,
        "channel_options": channel_options,
        "whatsapp_window_open": facts.whatsapp_window_open(),
        "past_tickets": facts.past_tickets,
        "activities": facts.activities,
        "feedback": customer_feedback(surveys=facts.surveys, recent_scores=facts.recent_scores),
        "canned_menu": facts.canned_menu,
        "macros": facts.macros,
        "in_training": profile is not None and profile.in_training,
        "open_claims": [claim for claim in facts.claims if claim.verified_at is None],
        "kb_suggestions": _kb_suggestions(ticket, rows, user=request.user),
    }
    return render(request, "console/ticket.html", context)


@require_GET
@agent_required
def ticket_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's messages before the `before` cursor, oldest first, as the HTML the
    page puts above what it shows; it ends with the link to the page before, if any."""
    ticket = get_object_or_404(Ticket.objects.only("id", "customer_id"), pk=pk)
    try:
        page = customer_timeline_page(
            customer_id=ticket.customer_id, cursor=request.GET.get("before", ""), size=TIMELINE_PAGE
        )
    except InvalidCursor:
        return HttpResponse(_("This link to older messages is not valid."), status=400, content_type="text/plain")
    context = {
        "timeline": timeline_entries(page.rows[::-1], current_ticket_id=ticket.pk),
        "older_url": _older_url(ticket.pk, page),
    }
    return render(request, "console/_timeline_page.html", context)


def _update_options(*, assignees: list[tuple[int, str]]) -> dict:
    """The choices of the ticket's status, priority and assignee selects, as the update
    form validates them; rendered by one small template rather than by form widgets."""
    fields = TicketUpdateForm.base_fields
    return {
        "status_options": fields["status"].choices,
        "priority_options": fields["priority"].choices,
        "assignee_options": [("", fields["assignee"].empty_label), *assignees],
    }


def _kb_suggestions(ticket: Ticket, rows: list[dict], *, user) -> list:
    """Knowledge-base articles for what the customer last asked on this ticket."""
    last_question = next(
        (row["text"] for row in reversed(rows) if row["ticket_id"] == ticket.pk and row["direction"] == "in"), ""
    )
    text = f"{ticket.subject} {last_question}".strip()
    if not text:
        return []
    lang = preferred_language(ticket.customer.language)
    return [hit.article for hit in article_suggestions(text=text, lang=lang, limit=5, user=user)]


@require_GET
@agent_required
def message_partial(request: HttpRequest, pk: int) -> HttpResponse:
    """One timeline entry, fetched by the ticket page when a live event announces it."""
    rows = timeline_rows(message_ids=[pk])
    if not rows:
        raise Http404
    current = request.GET.get("ticket", "")
    timeline = timeline_entries(rows, current_ticket_id=int(current) if current.isdigit() else None)
    return render(request, "console/_timeline_page.html", {"timeline": timeline})
