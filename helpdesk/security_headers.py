"""The Content-Security-Policy of every page (in production: DEBUG off and an https
public URL, or HELPDESK_CSP=1). Scripts only from our own origin: the pages have no
inline scripts, and the two inline event handlers left are allowed by their hashes
alone. Inline styles stay allowed (style attributes of the dashboard's bars, the
API docs' <style>): they cannot run code. A view that sets its own policy (the chat
widget, which other sites frame) keeps it."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# templates/home.html (the language menu) and templates/dashboard/rules.html (delete confirmation).
INLINE_HANDLERS = ("this.form.submit()", "return confirm(this.dataset.confirm)")


def _source_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def content_security_policy() -> str:
    public = urlsplit(settings.HELPDESK_PUBLIC_URL)
    websocket = f"{'wss' if public.scheme == 'https' else 'ws'}://{public.netloc}" if public.netloc else ""
    handlers = " ".join(_source_hash(handler) for handler in INLINE_HANDLERS)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'unsafe-hashes' {handlers}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob: https:",
            "font-src 'self' data:",
            f"connect-src 'self' {websocket}".strip(),
            "frame-src 'self'",
            "frame-ancestors 'self'",
            "form-action 'self'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.HELPDESK_CSP and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
