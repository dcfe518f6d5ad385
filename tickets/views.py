"""Server-rendered pages of the tickets app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from tickets.models import Attachment
from tickets.permissions import is_agent


def home(request):
    return render(request, "home.html")


@login_required
def attachment_download(request, pk: int):
    """Attachments always download, never render inline: a customer's HTML file must
    not run in the console's origin."""
    if not is_agent(request.user):
        raise PermissionDenied
    attachment = get_object_or_404(Attachment, pk=pk)
    if not attachment.file:
        raise Http404("this file has not been fetched yet")
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
