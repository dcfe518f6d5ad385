"""What a customer may see of their own data, in the help portal and in their data
export: their tickets, and the public side of the conversation."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from tickets.models import Attachment, Customer, Direction, Message, Survey, Ticket

# The customer sees what they wrote and what was sent to them. Internal notes,
# replies still waiting for a supervisor's approval and automatic messages
# (acknowledgements, bots, survey prompts) stay on the agents' side.
CUSTOMER_VISIBLE_MESSAGES = Q(direction=Direction.IN) | (
    Q(direction=Direction.OUT, is_automatic=False) & ~Q(delivery_status=Message.DeliveryStatus.AWAITING_APPROVAL)
)


def portal_customer_for_user(user) -> Customer | None:
    """The customer a signed-in portal user is, following merges; None for staff,
    anonymous visitors and erased customers."""
    if not getattr(user, "is_authenticated", False):
        return None
    customer = Customer.objects.filter(user=user).first()
    seen: set[int] = set()
    while customer is not None and customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.filter(pk=customer.merged_into_id).first()
    if customer is None or customer.erased_at is not None:
        return None
    return customer


def portal_ticket_list(*, customer: Customer) -> QuerySet[Ticket]:
    return Ticket.objects.filter(customer=customer).order_by("-updated_at", "-id")


def portal_ticket_get(*, customer: Customer, ticket_id: int) -> Ticket | None:
    return Ticket.objects.filter(customer=customer, pk=ticket_id).first()


def portal_ticket_messages(*, ticket: Ticket) -> QuerySet[Message]:
    """Oldest first, with their attachments and the agents who wrote them: three queries."""
    attachments = Attachment.objects.only("id", "message_id", "filename", "content_type", "size", "file", "inline")
    return (
        Message.objects.filter(CUSTOMER_VISIBLE_MESSAGES, ticket=ticket)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=attachments))
        .order_by("created_at", "id")
    )


def portal_customer_messages(*, customer: Customer) -> QuerySet[Message]:
    attachments = Attachment.objects.only("id", "message_id", "filename", "content_type", "size", "file")
    return (
        Message.objects.filter(CUSTOMER_VISIBLE_MESSAGES, customer=customer)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=attachments))
        .order_by("created_at", "id")
    )


def portal_attachment_get(*, customer: Customer, attachment_id: int) -> Attachment | None:
    visible = Message.objects.filter(CUSTOMER_VISIBLE_MESSAGES, customer=customer)
    return Attachment.objects.filter(pk=attachment_id, message__in=visible).first()


def portal_survey_list(*, customer: Customer) -> QuerySet[Survey]:
    """Surveys still waiting for the customer's answer, newest first."""
    return (
        Survey.objects.filter(customer=customer, status=Survey.Status.SENT)
        .select_related("ticket")
        .order_by("-created_at", "-id")
    )


def portal_survey_get(*, customer: Customer, survey_id: int) -> Survey | None:
    return Survey.objects.select_related("ticket").filter(customer=customer, pk=survey_id).first()
