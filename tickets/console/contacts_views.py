"""The console's contacts: list and search customers, change their details and
addresses, merge two of them and undo the merge; and start a conversation."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tickets.console.forms import ContactForm, ConversationStartForm, IdentityAddForm, MergeForm
from tickets.console.views import PAGE_SIZE, agent_required
from tickets.models import Channel, ContactIdentity, Customer, CustomerMerge
from tickets.selectors import contacts as contact_selectors
from tickets.services import contacts as contact_services
from tickets.services import outbound
from tickets.services.customers import MergeError, customer_merge, customer_merge_undo


@require_GET
@agent_required
def contact_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    page = Paginator(contact_selectors.contact_list(query=query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/contacts.html", {"page": page, "query": query})


def _contact_page(request: HttpRequest, customer: Customer, *, status: int = 200, **forms) -> HttpResponse:
    context = {
        "customer": customer,
        "contact_form": forms.get("contact_form")
        or ContactForm(
            initial={"name": customer.name, "tier": customer.tier, "language": customer.language, "notes": customer.notes}
        ),
        "identity_form": forms.get("identity_form") or IdentityAddForm(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "tickets": contact_selectors.contact_tickets(customer_id=customer.pk),
        "merges": contact_selectors.contact_merges(customer_id=customer.pk),
    }
    return render(request, "console/contact.html", context, status=status)


def _customer_or_404(pk: int) -> Customer:
    try:
        return contact_selectors.contact_detail(customer_id=pk)
    except Customer.DoesNotExist:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
@agent_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(pk)
    if customer.merged_into_id and request.method == "GET":
        messages.info(request, _("%(customer)s was merged into this customer.") % {"customer": customer})
        return redirect("console:contact", pk=customer.merged_into_id)
    if request.method == "GET":
        return _contact_page(request, customer)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact_services.customer_update(customer=customer, **form.cleaned_data)
        except contact_services.ContactError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:contact", pk=customer.pk)
    return _contact_page(request, customer, status=400, contact_form=form)


@require_POST
@agent_required
def identity_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(pk)
    form = IdentityAddForm(request.POST)
    if form.is_valid():
        try:
            contact_services.identity_add(customer=customer, address=form.cleaned_data["address"])
        except contact_services.ContactError as exc:
            form.add_error("address", str(exc))
        else:
            messages.success(request, _("Address added."))
            return redirect("console:contact", pk=customer.pk)
    return _contact_page(request, customer, status=400, identity_form=form)


@require_POST
@agent_required
def identity_remove(request: HttpRequest, pk: int, identity_id: int) -> HttpResponse:
    identity = get_object_or_404(ContactIdentity, pk=identity_id, customer_id=pk)
    try:
        contact_services.identity_remove(identity=identity)
    except contact_services.ContactError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Address removed."))
    return redirect("console:contact", pk=pk)


@require_POST
@agent_required
def contact_merge(request: HttpRequest, pk: int) -> HttpResponse:
    source = _customer_or_404(pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _contact_page(request, source, status=400, merge_form=form)
    target = contact_selectors.contact_find(form.cleaned_data["into"])
    if target is None:
        form.add_error("into", _("No customer has this address or number."))
        return _contact_page(request, source, status=400, merge_form=form)
    try:
        customer_merge(source=source, target=target, actor=request.user)
    except MergeError as exc:
        form.add_error("into", str(exc))
        return _contact_page(request, source, status=400, merge_form=form)
    messages.success(
        request, _("%(source)s merged into %(target)s. You can undo it below.") % {"source": source, "target": target}
    )
    return redirect("console:contact", pk=target.pk)


@require_POST
@agent_required
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    merge = get_object_or_404(CustomerMerge, pk=merge_id)
    try:
        source = customer_merge_undo(merge=merge, actor=request.user)
    except MergeError as exc:
        messages.error(request, str(exc))
        return redirect("console:contact", pk=merge.target_id)
    messages.success(request, _("Merge undone: %(customer)s is a customer of its own again.") % {"customer": source})
    return redirect("console:contact", pk=source.pk)


@require_http_methods(["GET", "POST"])
@agent_required
def conversation_start(request: HttpRequest) -> HttpResponse:
    """A new outbound ticket: the agent writes first, on email, SMS or WhatsApp."""
    channels = outbound.start_channels()
    if request.method == "GET":
        initial = {"channel": request.GET.get("channel") or Channel.EMAIL}
        customer_id = request.GET.get("customer", "")
        if customer_id.isdigit():
            initial["to"] = f"#{customer_id}"
        form = ConversationStartForm(initial=initial, channels=channels)
        return render(request, "console/conversation_new.html", {"form": form})
    form = ConversationStartForm(request.POST, request.FILES, channels=channels)
    if form.is_valid():
        data = form.cleaned_data
        try:
            customer = outbound.recipient_resolve(to=data["to"])
            ticket = outbound.conversation_start(
                customer=customer,
                channel=data["channel"],
                subject=data["subject"],
                text=data["text"],
                author=request.user,
                attachments=data["attachments"],
                template_sid=data["template_sid"].strip(),
                template_variables=form.variables(),
            )
        except outbound.ConversationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Conversation started: %(ticket)s.") % {"ticket": ticket.reference})
            return redirect("console:ticket", pk=ticket.pk)
    return render(request, "console/conversation_new.html", {"form": form}, status=400)
