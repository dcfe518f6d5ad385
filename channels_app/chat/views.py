"""The live chat's HTTP side: the embed loader, the widget page (shown in an iframe
on any site), the pre-chat form, file uploads and the offline form.

The widget runs in our origin inside its iframe, so its websocket passes the
origin check and its POSTs need no cross-origin rules. The session token, not a
cookie, authenticates the visitor: these endpoints need no CSRF token."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from channels_app.chat import session as chat
from channels_app.chat.forms import OfflineMessageForm, PreChatForm, form_errors
from channels_app.chat.strings import widget_strings
from channels_app.chat.tasks import send_claim_code
from tickets.inbound import InboundAttachment
from tickets.services import claims

UPLOADS = chat.VisitorRateLimiter(scope="upload", limit=10, window_s=60)
SESSIONS = chat.VisitorRateLimiter(scope="session", limit=20, window_s=60)
OFFLINE = chat.VisitorRateLimiter(scope="offline", limit=5, window_s=600)
VERIFY = chat.VisitorRateLimiter(scope="verify", limit=3, window_s=600)

# What a customer may send: pictures, PDFs and office documents; nothing a browser runs.
ALLOWED_CONTENT_TYPES = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}  # fmt: skip
# Images must start like what they claim to be: a renamed script is refused.
IMAGE_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


def _client_key(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _activate_language(request: HttpRequest) -> None:
    lang = request.GET.get("lang", "")[:8].split("-")[0].lower()
    if lang in dict(settings.LANGUAGES):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang


@require_GET
@cache_control(public=True, max_age=300)
def embed_js(request: HttpRequest) -> HttpResponse:
    """The one-script-tag loader. It finds our host from its own src."""
    path = finders.find("chat/widget.js")
    if not path:
        raise Http404("the chat loader is missing")
    response = HttpResponse(Path(path).read_bytes(), content_type="text/javascript; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@xframe_options_exempt
def widget(request: HttpRequest) -> HttpResponse:
    """The chat itself, made to live in the loader's iframe (or full-screen on a phone)."""
    _activate_language(request)
    context = {
        "online": chat.agents_available(),
        "strings": widget_strings(),
        "max_attachment_bytes": settings.HELPDESK_MAX_ATTACHMENT_BYTES,
        "accept": ",".join(sorted(ALLOWED_CONTENT_TYPES)),
        "max_text_chars": 4000,
    }
    response = render(request, "chat/widget.html", context)
    response["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self' ws: wss:; frame-ancestors *"
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@require_POST
def session_create(request: HttpRequest) -> JsonResponse:
    """The pre-chat form: a new visitor and its signed token."""
    if not SESSIONS.allow(_client_key(request)):
        return _error(429, "rate_limited", _("Too many new chats from here. Please wait a minute."))
    form = PreChatForm(request.POST)
    if not form.is_valid():
        return _error(400, "invalid", _("Please check the form."), fields=form_errors(form))
    user_id, user_hash = request.POST.get("user_id", "")[:200], request.POST.get("user_hash", "")[:200]
    vouched = bool(user_hash) and claims.identity_hash_valid(
        user_id=user_id, email=form.cleaned_data["email"], user_hash=user_hash
    )
    if user_hash and not vouched:
        # The site meant to vouch for its user, and the signature does not hold: never a claim instead.
        return _error(403, "identity_not_verified", _("Your identity could not be confirmed. Please sign in again."))
    try:
        session, token = chat.session_start(
            name=form.cleaned_data["name"], email=form.cleaned_data["email"], phone=form.cleaned_data["phone"]
        )
    except chat.ChatError as exc:
        return _error(400, exc.code, str(exc))
    if vouched:
        claims.chat_visitor_vouch(visitor=session.visitor, name=session.name, email=form.cleaned_data["email"])
    return JsonResponse(
        {
            "visitor": session.visitor,
            "token": token,
            "name": session.name,
            "can_email_transcript": bool(session.email),
            "verified": vouched,
        },
        status=201,
    )


@csrf_exempt
@require_POST
def verify_start(request: HttpRequest) -> JsonResponse:
    """Sends a code to the email the visitor gave, to prove it is theirs."""
    _activate_language(request)
    session = chat.session_from_token(request.headers.get("X-Chat-Token", ""))
    if session is None or chat.session_erased(session):
        return _error(401, "unauthorized", _("This chat session is not valid. Please start a new chat."))
    claim = claims.visitor_claim(visitor=session.visitor, address=session.email)
    if claim is None or claim.kind != "email":
        return _error(404, "nothing_to_verify", _("There is no email address to confirm in this chat."))
    if not VERIFY.allow(session.visitor):
        return _error(429, "rate_limited", _("Too many codes asked for. Please wait a few minutes."))
    send_claim_code.delay(claim_id=claim.pk, language=translation.get_language() or "")
    return JsonResponse({"status": "sent", "message": _("We sent a code to your email address.")}, status=202)


@csrf_exempt
@require_POST
def verify_confirm(request: HttpRequest) -> JsonResponse:
    """The code from the email: the address is the visitor's from now on."""
    _activate_language(request)
    session = chat.session_from_token(request.headers.get("X-Chat-Token", ""))
    if session is None or chat.session_erased(session):
        return _error(401, "unauthorized", _("This chat session is not valid. Please start a new chat."))
    claim = claims.visitor_claim(visitor=session.visitor, address=session.email)
    if claim is None:
        return _error(404, "nothing_to_verify", _("There is no email address to confirm in this chat."))
    try:
        claims.claim_code_check(claim=claim, code=request.POST.get("code", "")[:20])
    except claims.ClaimError as exc:
        if str(exc) == "too_many_tries":
            return _error(429, "too_many_tries", _("Too many wrong codes. Ask for a new code."))
        return _error(400, "wrong_code", _("This code is not right, or it expired."))
    return JsonResponse({"status": "verified", "message": _("Thank you, your email address is confirmed.")})


@csrf_exempt
@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    """A file from the widget: checked, then into the pipeline as a message with an attachment."""
    session = chat.session_from_token(request.headers.get("X-Chat-Token", ""))
    if session is None:
        return _error(401, "unauthorized", _("This chat session is not valid. Please start a new chat."))
    if chat.session_erased(session):
        return _error(401, "session_erased", str(chat.SESSION_ERASED_MESSAGE))
    if not UPLOADS.allow(session.visitor):
        return _error(429, "rate_limited", _("Too many files. Please wait a minute."))
    client_id = request.POST.get("id", "")
    try:
        uuid.UUID(client_id)
    except ValueError:
        return _error(400, "invalid_id", _("The message id must be a UUID."))
    upload_file = request.FILES.get("file")
    if upload_file is None:
        return _error(400, "missing_field", _("Choose a file to send."))
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    if upload_file.size > limit:
        return _error(
            413, "file_too_large", _("The file is too large (at most %(mb)s MB).") % {"mb": round(limit / 1048576, 1)}
        )
    content_type = (upload_file.content_type or "").split(";")[0].strip().lower()
    if content_type not in ALLOWED_CONTENT_TYPES:
        return _error(415, "file_type", _("This kind of file cannot be sent. Send a picture, a PDF or a document."))
    content = upload_file.read()
    signatures = IMAGE_SIGNATURES.get(content_type)
    if signatures and not content.startswith(signatures):
        return _error(415, "file_type", _("This file is not the picture it claims to be."))
    text = request.POST.get("text", "").strip()[:4000]
    existing = chat.chat_message_existing(client_id=client_id)
    result = None
    if existing is None:
        ticket_id = request.POST.get("ticket", "")
        result = chat.chat_message_ingest(
            session=session,
            client_id=client_id,
            text=text,
            ticket_id=int(ticket_id) if ticket_id.isdigit() else None,
            attachments=[
                InboundAttachment(filename=upload_file.name or "file", content_type=content_type, content=content)
            ],
        )
    message = existing or (result.message if result else None) or chat.chat_message_existing(client_id=client_id)
    if message is None:
        return _error(503, "not_stored", _("The file could not be stored. Please try again."))
    # The visitor's other tabs heard of it from the pipeline (channels_app.chat.followups).
    return JsonResponse(chat.chat_frame(message), status=201 if existing is None else 200)


@csrf_exempt
@require_POST
def offline_message(request: HttpRequest) -> JsonResponse:
    """Nobody is online (or it is outside business hours): the message becomes a
    ticket, and the agent's reply goes out by email or SMS."""
    if not OFFLINE.allow(_client_key(request)):
        return _error(429, "rate_limited", _("Too many messages from here. Please try again later."))
    form = OfflineMessageForm(request.POST)
    if not form.is_valid():
        return _error(400, "invalid", _("Please check the form."), fields=form_errors(form))
    data = form.cleaned_data
    session = chat.session_from_token(request.headers.get("X-Chat-Token", ""))
    if session is not None and chat.session_erased(session):
        # Only what this form says is used: the erased token's name and addresses are not.
        session = None
    if session is None:
        try:
            session, _token = chat.session_start(name=data["name"], email=data["email"], phone=data["phone"])
        except chat.ChatError as exc:
            return _error(400, exc.code, str(exc))
    addresses = [address for address in (data["email"], data["phone"]) if address]
    result = chat.chat_message_ingest(
        session=session,
        client_id=str(data["id"] or uuid.uuid4()),
        text=data["message"],
        extra_addresses=addresses,
        metadata={"offline": True, "reply_channel": form.reply_channel},
    )
    if result.message is None and result.status != "duplicate":
        return _error(503, "not_stored", _("Your message could not be stored. Please try again."))
    return JsonResponse(
        {"status": "received", "reply_channel": form.reply_channel, "message": _("Thank you. We will answer you soon.")},
        status=201,
    )
