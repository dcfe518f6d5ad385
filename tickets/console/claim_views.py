"""The console's one click on an identity claim: the agent checked that the chat
visitor is who they said, and the conversation joins that customer."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets.console.views import agent_required
from tickets.models import IdentityClaim, Ticket
from tickets.services.claims import Method, claim_confirm


@require_POST
@agent_required
def identity_claim_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(IdentityClaim, pk=pk)
    ticket_id = request.POST.get("ticket", "")
    ticket = get_object_or_404(Ticket, pk=int(ticket_id) if ticket_id.isdigit() else 0)
    customer = claim_confirm(claim_id=claim.pk, method=Method.AGENT, user=request.user)
    messages.success(
        request, _("Confirmed: %(address)s is %(customer)s.") % {"address": claim.address, "customer": customer}
    )
    return redirect("console:ticket", pk=ticket.pk)
