"""The agent ends a live chat session from the ticket page: the customer's widget
hears of it, and FCR judges the ticket by the session that was."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets.console.views import agent_required
from tickets.models import ChatSessionLog, Ticket
from tickets.services.chat_sessions import chat_session_end


@require_POST
@agent_required
def chat_session_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk)
    if chat_session_end(ticket_id=ticket.pk, reason=ChatSessionLog.EndReason.AGENT):
        messages.success(request, _("The chat is ended. The customer can write again at any time."))
    else:
        messages.info(request, _("The chat had already ended."))
    return redirect("console:ticket", pk=pk)


app_name = "chat_sessions"
urlpatterns = [path("<int:pk>/end/", chat_session_end_view, name="end")]
