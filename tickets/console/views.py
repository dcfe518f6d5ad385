"""The agent console's pages. Each view checks who is asking, validates a form,
calls one service or selector, and answers."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tickets.console.forms import ApprovalForm, MacroApplyForm, ReplyForm, TicketUpdateForm
from tickets.console.signin import ConsoleSignInForm
from tickets.console.timeline_entries import timeline_entries
from tickets.models import Attachment, Message, Ticket
from tickets.permissions import is_agent, is_supervisor
from tickets.selectors import console as console_selectors
from tickets.selectors.timeline import timeline_rows
from tickets.services import approvals, canned, console
from tickets.services.replies import ReplyError
from tickets.services.tickets import InvalidTransition

PAGE_SIZE = 50


def _signed_in_and(check):
    """Signed-in users who pass `check` only; anyone else signed in gets a 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


agent_required = _signed_in_and(is_agent)
supervisor_required = _signed_in_and(is_supervisor)


def _form_errors(form) -> str:
    return " ".join(error for errors in form.errors.values() for error in errors)


class ConsoleLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = ConsoleSignInForm
    redirect_authenticated_user = True


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@require_POST
@agent_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Stores the reply and queues its delivery; the page follows its status live.
    The composer posts with fetch and gets the new timeline entry back."""
    ticket = get_object_or_404(Ticket, pk=pk)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"error": _form_errors(form)}, status=400)
        messages.error(request, _form_errors(form))
        return redirect("console:ticket", pk=pk)
    data = form.cleaned_data
    notice = ""
    try:
        if data["kind"] == "note":
            message = console.note_create(ticket=ticket, author=request.user, text=data["text"])
        else:
            message = console.console_reply_send(
                ticket=ticket,
                author=request.user,
                text=data["text"],
                channel=data.get("channel") or None,
                attachments=data["attachments"],
            )
            if message.delivery_status == Message.DeliveryStatus.AWAITING_APPROVAL:
                notice = _("Your reply waits for a supervisor's approval.")
    except ReplyError as exc:
        if _wants_json(request):
            return JsonResponse({"error": str(exc)}, status=400)
        messages.error(request, str(exc))
        return redirect("console:ticket", pk=pk)
    if _wants_json(request):
        timeline = timeline_entries(timeline_rows(message_ids=[message.pk]), current_ticket_id=ticket.pk)
        html = render_to_string("console/_timeline_page.html", {"timeline": timeline}, request=request)
        return JsonResponse({"message": message.pk, "html": html, "notice": notice}, status=201)
    if notice:
        messages.info(request, notice)
    return redirect("console:ticket", pk=pk)


@require_POST
@agent_required
def ticket_update(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk)
    form = TicketUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("console:ticket", pk=pk)
    data = form.cleaned_data
    assignee = request.user if data.get("assign_to_me") else data.get("assignee")
    # The properties form always sends its assignee select: left empty, it unassigns.
    unassign = bool(data.get("unassign")) or ("assignee" in request.POST and assignee is None)
    try:
        console.tickets_bulk_update(
            ticket_ids=[ticket.pk],
            actor=request.user,
            status=data.get("status") or "",
            priority=data.get("priority"),
            assignee=assignee if assignee != ticket.assignee else None,
            unassign=unassign and ticket.assignee_id is not None,
            tags=form.tag_names() or None,
        )
    except (console.BulkActionError, InvalidTransition) as exc:
        messages.error(request, str(exc))
    return redirect("console:ticket", pk=pk)


@require_GET
@agent_required
def canned_render(request: HttpRequest, pk: int, canned_id: int) -> JsonResponse:
    """The canned response's text with the placeholders filled in, for the reply box."""
    ticket = get_object_or_404(Ticket.objects.select_related("customer"), pk=pk)
    response = get_object_or_404(console_selectors.canned_responses_for(user=request.user), pk=canned_id)
    return JsonResponse({"text": canned.placeholders_render(body=response.body, ticket=ticket, agent=request.user)})


@require_POST
@agent_required
def macro_apply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket.objects.select_related("customer"), pk=pk)
    form = MacroApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a macro."))
        return redirect("console:ticket", pk=pk)
    macro = get_object_or_404(console_selectors.macro_list(), pk=form.cleaned_data["macro"])
    try:
        canned.macro_apply(
            macro=macro, ticket=ticket, actor=request.user, channel=form.cleaned_data.get("channel") or None
        )
    except (ReplyError, InvalidTransition) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Macro “%(name)s” applied.") % {"name": macro.name})
    return redirect("console:ticket", pk=pk)


@require_GET
@supervisor_required
def approval_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(console_selectors.approval_queue(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/approvals.html", {"page": page})


@require_POST
@supervisor_required
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(Message, pk=pk)
    form = ApprovalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("console:approvals")
    data = form.cleaned_data
    try:
        if data["decision"] == "reject":
            approvals.reply_reject(message=message, approver=request.user, note=data["note"])
            messages.success(request, _("Reply rejected; the agent has been told why."))
        else:
            text = data["text"] if data["decision"] == "edit" else None
            approvals.reply_approve_with_edit(message=message, approver=request.user, text=text)
            messages.success(request, _("Reply approved and queued for sending."))
    except ReplyError as exc:
        messages.error(request, str(exc))
    return redirect("console:approvals")


@require_POST
@agent_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    console.notifications_mark_read(user=request.user)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"unread": 0})
    return _back(request, reverse("console:inbox"))


# Raster images only: an SVG can carry script, and anything else downloads.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@require_GET
@agent_required
def attachment_inline(request: HttpRequest, pk: int) -> HttpResponse:
    """An email's inline image (cid:), shown inside the message it belongs to."""
    attachment = get_object_or_404(Attachment, pk=pk, inline=True, content_type__in=INLINE_IMAGE_TYPES)
    if not attachment.file:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    return response
