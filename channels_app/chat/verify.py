"""Proving a pre-chat email: a code sent to the address, typed back into the widget
(tickets.services.claims has the rules)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from tickets.models import IdentityClaim
from tickets.services.claims import CODE_TTL_S, claim_code_issue


def claim_code_email_send(*, claim_id: int, language: str = "") -> bool:
    """Sends a new code to the claimed email address; False when the claim is gone,
    already verified, or not an email."""
    claim = IdentityClaim.objects.filter(pk=claim_id, kind="email", verified_at__isnull=True).first()
    if claim is None:
        return False
    code = claim_code_issue(claim=claim)
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = _("Your code to confirm your email: %(code)s") % {"code": code}
        body = _(
            "Someone, probably you, said in our live chat that this is their email address.\n\n"
            "To confirm it, type this code in the chat: %(code)s\n\n"
            "The code works for %(minutes)d minutes. If it was not you, ignore this email: "
            "nothing of yours is shown without it."
        ) % {"code": code, "minutes": CODE_TTL_S // 60}
    send_mail(subject, body, None, [claim.address])
    return True
