"""The help portal's pages. Views validate, call one service or selector, answer.

A customer only ever reaches their own tickets, messages, attachments and surveys:
everything is looked up through the signed-in customer, and anything else is a 404,
so a guessed id does not even tell that it exists."""

from __future__ import annotations

import html
import json
from functools import lru_cache, wraps

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kb.portal import auth
from kb.portal.forms import (
    CodeForm,
    GuestRequestForm,
    ReplyForm,
    RequestForm,
    SigninForm,
    SurveyForm,
    inbound_attachments,
)
from kb.portal.ratelimit import RateLimited, client_ip, rate_limit_check
from kb.portal.selectors import support_hours
from kb.portal.services import (
    PortalSubmitError,
    portal_reply_create,
    portal_request_submit,
    portal_suggestion_opened,
    portal_user_ensure,
)
from kb.selectors import article_suggestions, visible_articles
from tickets.selectors import portal as portal_selectors
from tickets.services import privacy, surveys
from tickets.services.sanitize import sanitize_html

SESSION_CODE_ADDRESS = "portal_code_address"
SESSION_NEXT = "portal_next"
SESSION_SENT_REFERENCE = "portal_sent_reference"
TICKETS_PER_PAGE = 25


@lru_cache(maxsize=1)
def _chat_widget_available() -> bool:
    """The live-chat widget's snippet, when the chat app provides one."""
    try:
        get_template("chat/include.html")
    except TemplateDoesNotExist:
        return False
    return True


def _render(request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200) -> HttpResponse:
    base = {
        "customer": getattr(request, "portal_customer", None),
        "support": support_hours(),
        "chat_widget": _chat_widget_available(),
    }
    return render(request, template, {**base, **(context or {})}, status=status)


def _too_many(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    minutes = max(1, exc.retry_after_s // 60)
    response = _render(request, "portal/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(exc.retry_after_s)
    return response


def with_customer(view):
    """Sets request.portal_customer (None for visitors)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.portal_customer = portal_selectors.portal_customer_for_user(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def customer_required(view):
    @wraps(view)
    @with_customer
    def wrapper(request, *args, **kwargs):
        if request.portal_customer is None:
            return redirect(f"{reverse('portal:signin')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("portal:tickets")


def _address_key(address: str) -> str:
    """One rate-limit key per address, however it is spelled."""
    try:
        return auth.signin_address_normalize(address).address
    except auth.SigninAddressInvalid:
        return address.strip().casefold()


# Home and sign-in -------------------------------------------------------------------


@require_GET
@with_customer
def home(request):
    return _render(request, "portal/home.html")


@require_http_methods(["GET", "POST"])
@with_customer
def signin(request):
    if request.portal_customer is not None:
        return redirect("portal:tickets")
    form = SigninForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["address"]
        try:
            rate_limit_check(scope="signin-ip", key=client_ip(request))
            rate_limit_check(scope="signin-address", key=_address_key(address))
            started = auth.signin_start(address=address, language=get_language())
        except RateLimited as exc:
            return _too_many(request, exc)
        except auth.SigninAddressInvalid:
            form.add_error("address", _("Enter an email address or a mobile phone number."))
        else:
            request.session[SESSION_NEXT] = _safe_next(request, request.GET.get("next"))
            if started.kind == "email":
                return redirect("portal:signin-sent")
            request.session[SESSION_CODE_ADDRESS] = started.address
            return redirect("portal:signin-code")
    return _render(request, "portal/signin.html", {"form": form})


@require_GET
@with_customer
def signin_sent(request):
    return _render(request, "portal/signin_sent.html")


def _sign_in(request: HttpRequest, customer) -> HttpResponse:
    next_url = request.session.get(SESSION_NEXT)
    login(request, portal_user_ensure(customer=customer), backend="django.contrib.auth.backends.ModelBackend")
    return redirect(_safe_next(request, next_url))


@require_http_methods(["GET", "POST"])
@with_customer
def signin_code(request):
    address = request.session.get(SESSION_CODE_ADDRESS)
    if not address:
        return redirect("portal:signin")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rate_limit_check(scope="code-verify-ip", key=client_ip(request))
            customer = auth.signin_code_verify(address=address, code=form.cleaned_data["code"])
        except RateLimited as exc:
            return _too_many(request, exc)
        except auth.SigninLocked:
            request.session.pop(SESSION_CODE_ADDRESS, None)
            exc = RateLimited(retry_after_s=auth.CODE_LOCKOUT_S)
            return _too_many(request, exc)
        if customer is not None:
            request.session.pop(SESSION_CODE_ADDRESS, None)
            return _sign_in(request, customer)
        form.add_error("code", _("That code is not right, or it has expired."))
    return _render(request, "portal/signin_code.html", {"form": form, "address": address})


@require_http_methods(["GET", "POST"])
@with_customer
def signin_link(request, token: str):
    """GET only shows a button: mail scanners that follow links must not use up the
    one-time link. The POST signs in."""
    if request.method == "POST":
        customer = auth.signin_link_consume(token)
        if customer is not None:
            return _sign_in(request, customer)
    elif auth.signin_link_is_usable(token):
        return _render(request, "portal/signin_link.html")
    return _render(request, "portal/signin_link_invalid.html", status=410)


@require_POST
def signout(request):
    logout(request)
    return redirect("portal:home")


# Tickets ----------------------------------------------------------------------------


@require_GET
@customer_required
def ticket_list(request):
    customer = request.portal_customer
    page = Paginator(portal_selectors.portal_ticket_list(customer=customer), TICKETS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    waiting = portal_selectors.portal_survey_list(customer=customer)[:5]
    return _render(request, "portal/tickets.html", {"tickets": page.object_list, "page": page, "surveys": waiting})


@require_GET
@customer_required
def ticket_statuses(request):
    """The ticket list's statuses, fetched by static/portal/portal.js when /ws/portal/
    announces a change and whenever its socket (re)connects."""
    tickets = portal_selectors.portal_ticket_list(customer=request.portal_customer)[:200]
    return JsonResponse(
        {
            "tickets": [
                {
                    "id": ticket.pk,
                    "status": ticket.status,
                    "status_label": ticket.get_status_display(),
                    "updated_at": ticket.updated_at.isoformat(),
                }
                for ticket in tickets
            ]
        }
    )


def _conversation(ticket) -> list[dict]:
    entries = []
    for message in portal_selectors.portal_ticket_messages(ticket=ticket):
        author = message.author
        entries.append(
            {
                "message": message,
                "from_customer": message.direction == "in",
                "agent_name": (author.get_full_name() or author.get_username()) if author else "",
                # Message.html was sanitized when it was stored; sanitizing again costs
                # little and keeps the page safe whatever wrote the row.
                "html": mark_safe(sanitize_html(message.html)) if message.html else "",
                "attachments": [a for a in message.attachments.all() if not a.inline],
            }
        )
    return entries


@require_http_methods(["GET", "POST"])
@customer_required
def ticket_detail(request, ticket_id: int):
    customer = request.portal_customer
    ticket = portal_selectors.portal_ticket_get(customer=customer, ticket_id=ticket_id)
    if ticket is None:
        raise Http404
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rate_limit_check(scope="submit", key=f"customer:{customer.pk}")
            submission = portal_reply_create(
                customer=customer,
                ticket=ticket,
                request_uuid=form.cleaned_data["request_uuid"],
                text=form.cleaned_data["text"],
                attachments=inbound_attachments(form.cleaned_data["attachments"]),
            )
        except RateLimited as exc:
            return _too_many(request, exc)
        except PortalSubmitError:
            form.add_error(None, _("We could not save your reply just now. Please try again in a minute."))
        else:
            if submission.message is not None and not submission.duplicate:
                messages.success(request, _("Your reply was sent."))
            target = submission.ticket.pk if submission.ticket else ticket.pk
            return redirect("portal:ticket", ticket_id=target)
    return _render(
        request,
        "portal/ticket.html",
        {
            "ticket": ticket,
            "conversation": _conversation(ticket),
            "form": form,
            "surveys": portal_selectors.portal_survey_list(customer=customer).filter(ticket=ticket),
        },
        status=400 if form.errors else 200,
    )


@require_GET
@customer_required
def attachment_download(request, attachment_id: int):
    attachment = portal_selectors.portal_attachment_get(customer=request.portal_customer, attachment_id=attachment_id)
    if attachment is None or not attachment.file:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    # Always a download, never rendered in the portal's origin.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# New requests -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@with_customer
def request_new(request):
    customer = request.portal_customer
    form_class = RequestForm if customer else GuestRequestForm
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rate_limit_check(scope="submit", key=f"customer:{customer.pk}" if customer else f"ip:{client_ip(request)}")
            submission = portal_request_submit(
                request_uuid=data["request_uuid"],
                subject=data["subject"],
                text=data["text"],
                attachments=inbound_attachments(data["attachments"]),
                language=get_language(),
                customer=customer,
                guest_name=data.get("name", ""),
                guest_email=data.get("email", ""),
                session_key=request.session.session_key or "",
            )
        except RateLimited as exc:
            return _too_many(request, exc)
        except PortalSubmitError:
            form.add_error(None, _("We could not save your request just now. Please try again in a minute."))
        else:
            ticket = submission.ticket
            if customer and ticket is not None:
                if not submission.duplicate:
                    messages.success(request, _("Thank you. We received your request."))
                return redirect("portal:ticket", ticket_id=ticket.pk)
            request.session[SESSION_SENT_REFERENCE] = ticket.reference if ticket else ""
            return redirect("portal:request-sent")
    context = {
        "form": form,
        "suggest_url": reverse("portal:suggest"),
        "deflection_url": reverse("portal:suggestion-opened"),
    }
    return _render(request, "portal/request_new.html", context, status=400 if form.errors else 200)


@require_GET
def suggest(request):
    """Articles that may answer what the visitor is typing (polled, debounced, by portal.js)."""
    query = request.GET.get("q", "").strip()[:300]
    try:
        rate_limit_check(scope="search", key=client_ip(request))
    except RateLimited as exc:
        response = JsonResponse({"error": _("Too many searches. Please wait a minute.")}, status=429)
        response["Retry-After"] = str(exc.retry_after_s)
        return response
    if len(query) < 3:
        return JsonResponse({"results": []})
    hits = article_suggestions(text=query, lang=get_language()[:2], limit=5)
    return JsonResponse(
        {
            "results": [
                {
                    "id": hit.article.pk,
                    "title": hit.article.title,
                    # Plain text: the page shows it with textContent.
                    "snippet": html.unescape(strip_tags(hit.snippet)),
                    "url": hit.article.get_absolute_url(),
                }
                for hit in hits
            ]
        }
    )


@require_POST
def suggestion_opened(request):
    """Sent by portal.js when a suggested article is opened from the request form."""
    try:
        article_id = int(request.POST.get("article", ""))
    except ValueError:
        return JsonResponse({"error": _("Which article?")}, status=400)
    if not visible_articles().filter(pk=article_id).exists():
        return JsonResponse({"error": _("No such article.")}, status=404)
    if not request.session.session_key:
        request.session.save()
    portal_suggestion_opened(
        session_key=request.session.session_key, article_id=article_id, query=request.POST.get("q", "")[:300]
    )
    return JsonResponse({"recorded": True})


@require_GET
@with_customer
def request_sent(request):
    return _render(request, "portal/request_sent.html", {"reference": request.session.get(SESSION_SENT_REFERENCE, "")})


# Surveys ----------------------------------------------------------------------------

SURVEY_QUESTIONS = {
    "csat": (gettext_lazy("How satisfied are you with the help you got?"), gettext_lazy("Very unhappy"), gettext_lazy("Very happy")),
    "ces": (gettext_lazy("How easy was it to get your issue solved?"), gettext_lazy("Very hard"), gettext_lazy("Very easy")),
    "nps": (gettext_lazy("How likely are you to recommend us to a friend?"), gettext_lazy("Not at all"), gettext_lazy("Certainly")),
}  # fmt: skip


@require_http_methods(["GET", "POST"])
@customer_required
def survey_answer(request, survey_id: int):
    survey = portal_selectors.portal_survey_get(customer=request.portal_customer, survey_id=survey_id)
    if survey is None:
        raise Http404
    form = SurveyForm(request.POST or None, scale=(survey.scale_min, survey.scale_max))
    if request.method == "POST" and survey.status != survey.Status.ANSWERED and form.is_valid():
        try:
            surveys.survey_answer(survey=survey, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
        except surveys.SurveyError as exc:
            form.add_error("score", str(exc))
        else:
            messages.success(request, _("Thank you for your answer."))
            return redirect("portal:ticket", ticket_id=survey.ticket_id)
    question, low_label, high_label = SURVEY_QUESTIONS[survey.kind]
    context = {"survey": survey, "form": form, "question": question, "low_label": low_label, "high_label": high_label}
    return _render(request, "portal/survey.html", context, status=400 if form.errors else 200)


# Privacy ----------------------------------------------------------------------------


@require_GET
@customer_required
def privacy_page(request):
    return _render(request, "portal/privacy.html")


@require_GET
@customer_required
def privacy_export_json(request):
    data = privacy.customer_export(customer=request.portal_customer)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="my-data-{request.portal_customer.pk}.json"'
    return response


@require_GET
@customer_required
def privacy_export_html(request):
    data = privacy.customer_export(customer=request.portal_customer)
    response = _render(request, "portal/export.html", {"data": data})
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="my-data-{request.portal_customer.pk}.html"'
    return response
