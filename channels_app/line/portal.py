"""The portal's "Link your LINE account" page: a signed-in customer (their email is
verified by the sign-in) gets a one-time code to send from LINE. Sending it proves the
LINE account is theirs too; only then are the two linked (contacts.line_link_redeem)."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from channels_app.line.contacts import LINK_CODE_TTL, line_link_code_issue
from channels_app.models import LineLinkCode, MessagingContact
from kb.portal.selectors import support_hours
from kb.portal.views import customer_required
from tickets.models import ContactIdentity


@require_http_methods(["GET", "POST"])
@customer_required
def line_link_page(request):
    customer = request.portal_customer
    current = (
        LineLinkCode.objects.filter(customer=customer, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )
    if request.method == "POST":
        # One live code at a time: asking again shows the same one until it expires.
        if current is None:
            line_link_code_issue(customer=customer)
        return redirect("line-portal:link")
    linked_ids = list(
        ContactIdentity.objects.filter(customer=customer, kind=ContactIdentity.Kind.LINE, verified=True).values_list(
            "address", flat=True
        )
    )
    linked = MessagingContact.objects.filter(platform=MessagingContact.Platform.LINE, user_id__in=linked_ids)
    names = {contact.user_id: contact.display_name for contact in linked}
    context = {
        "customer": customer,
        "support": support_hours(),
        "code": current,
        "minutes": int(LINK_CODE_TTL.total_seconds() // 60),
        "linked": [names.get(user_id) or user_id for user_id in linked_ids],
    }
    return render(request, "portal/line_link.html", context)
