"""The REST API: thin views that validate, call one service or selector, and answer."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from tickets.api_idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from tickets.api_ticket_rows import ticket_list_items
from tickets.delivery_errors import delivery_error_explanation
from tickets.models import Attachment, Channel, ContactIdentity, Customer, Message, Team, Ticket
from tickets.pagination import ConversationPagination, TicketListPagination, TimelinePagination
from tickets.selectors.customers import customer_find_by_identity, customer_list, customer_with_identities
from tickets.selectors.inbox import TicketFilters, ticket_list
from tickets.selectors.ticket_rows import API_ROW_FIELDS, row_values_with_tags, with_tags
from tickets.selectors.timeline import customer_timeline, ticket_messages
from tickets.services import tickets as ticket_services
from tickets.services.customers import customer_merge
from tickets.services.outbound import ticket_open
from tickets.services.replies import ReplyError, attachments_check, reply_create

User = get_user_model()

# The row values of a new ticket that are its own fields (see _new_ticket_row).
NEW_TICKET_FIELDS = (
    "id", "subject", "status", "priority", "channel", "customer_id", "assignee_id", "agent_initiated", "created_at",
    "updated_at", "first_inbound_at", "first_response_at", "first_response_s", "resolved_at", "resolution_s",
    "reopen_count",
)  # fmt: skip


class IdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactIdentity
        fields = ["kind", "address", "verified"]


class CustomerSerializer(serializers.ModelSerializer):
    identities = IdentitySerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "tier", "language", "notes", "identities", "created_at", "last_inbound_at"]
        read_only_fields = ["id", "identities", "created_at", "last_inbound_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "inline", "url"]

    def get_url(self, obj: Attachment) -> str:
        return reverse("tickets:attachment", args=[obj.pk])


class AuthorSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class MessageSerializer(serializers.ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)
    # None for the customer's messages and the automatic ones.
    author = AuthorSerializer(read_only=True, allow_null=True)
    # delivery_error stays the provider's own text; this one is in the client's language.
    delivery_error_explanation = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id", "ticket", "customer", "channel", "direction", "author", "subject", "text", "html",
            "is_automatic", "is_auto_reply", "delivery_status", "delivery_error_code", "delivery_error",
            "delivery_error_explanation", "attachments", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_delivery_error_explanation(self, obj: Message) -> str:
        if not obj.delivery_error_code and not obj.delivery_error:
            return ""
        return delivery_error_explanation(code=obj.delivery_error_code, stored=obj.delivery_error)


class TicketSerializer(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    assignee = AuthorSerializer(read_only=True, allow_null=True)
    team = serializers.SlugRelatedField(read_only=True, slug_field="name", allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "id", "reference", "subject", "status", "priority", "channel", "customer", "team", "assignee",
            "tags", "agent_initiated", "created_at", "updated_at", "first_inbound_at", "first_response_at",
            "first_response_s", "resolved_at", "resolution_s", "reopen_count",
        ]  # fmt: skip
        read_only_fields = fields

    def get_customer(self, obj: Ticket) -> dict:
        return {"id": obj.customer_id, "name": str(obj.customer)}


class CustomerWithIdentitiesField(serializers.PrimaryKeyRelatedField):
    """A customer not merged into another, by id, read with their identities in one
    statement (tickets.selectors.customers.customer_with_identities); the answers to a
    bad id are PrimaryKeyRelatedField's."""

    def to_internal_value(self, data):
        try:
            if isinstance(data, bool):
                raise TypeError
            customer_id = Customer._meta.pk.get_prep_value(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        customer = customer_with_identities(customer_id=customer_id)
        if customer is None:
            self.fail("does_not_exist", pk_value=data)
        return customer


class TicketCreateSerializer(serializers.Serializer):
    # The identities go into the new ticket's search document.
    customer = CustomerWithIdentitiesField(queryset=Customer.objects.filter(merged_into__isnull=True))
    subject = serializers.CharField(max_length=300)
    channel = serializers.ChoiceField(choices=Channel.choices)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    text = serializers.CharField(required=False, allow_blank=True, max_length=100_000)

    def get_fields(self):
        # Fresh fields from their declarations, as DRF's deep copy makes them, but
        # sharing the arguments that no request changes (the choices, the querysets,
        # which each lookup clones): a quarter of a create's validation.
        return {name: type(field)(*field._args, **field._kwargs) for name, field in self._declared_fields.items()}


class TicketUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    add_tags = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=50)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part of a multipart body (the schema shows it as binary, not as a URL)."""


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=100_000, trim_whitespace=True, required=False, allow_blank=True, default="")
    note = serializers.BooleanField(default=False, help_text="An internal note, never sent to the customer.")
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="Default: the customer's last channel."
    )
    status = serializers.ChoiceField(
        choices=Ticket.Status.choices, required=False, help_text="Status to set after the reply."
    )  # fmt: skip
    attachments = serializers.ListField(
        child=UploadField(), required=False, default=list,
        help_text="Files sent with a reply (multipart/form-data, one `attachments` part per file): "
        "at most 5, each within HELPDESK_MAX_ATTACHMENT_BYTES (20 MB by default). Not on notes.",
    )  # fmt: skip

    def validate(self, data):
        try:
            data["attachments"] = attachments_check(data["attachments"])
        except ReplyError as exc:
            raise ValidationError({"attachments": [str(exc)]}) from exc
        if data["note"] and data["attachments"]:
            raise ValidationError({"attachments": [_("Internal notes cannot carry files.")]})
        if not data["text"] and not data["attachments"]:
            raise ValidationError({"text": [_("Write a message or attach a file.")]})
        return data


class MergeSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.filter(merged_into__isnull=True))


def _int_param(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError({name: _("must be a whole number, not %(value)r") % {"value": value}}) from None


def _list_param(request, name: str, allowed: list) -> list | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    values = [item.strip() for item in raw.split(",") if item.strip()]
    unknown = [item for item in values if item not in {str(a) for a in allowed}]
    if unknown:
        message = _("unknown value(s) %(values)s; expected one of %(expected)s")
        raise ValidationError(
            {name: message % {"values": ", ".join(unknown), "expected": ", ".join(map(str, allowed))}}
        )
    return values


def _new_ticket_row(ticket: Ticket) -> dict:
    """A ticket just created, as the list's row values (tickets/api_ticket_rows.py): its
    answer is written from the instance as stored, without reading it back. A new
    ticket has no tags yet."""
    row = {field: getattr(ticket, field) for field in NEW_TICKET_FIELDS}
    assignee = ticket.assignee
    row.update(
        customer__name=ticket.customer.name,
        team__name=ticket.team.name if ticket.team else None,
        assignee__username=assignee.get_username() if assignee else None,
        assignee__first_name=assignee.first_name if assignee else None,
        assignee__last_name=assignee.last_name if assignee else None,
        tags=[],
    )
    return row


class CustomerViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    serializer_class = CustomerSerializer
    # Ids are numbers: anything else is a 404 from the router, never a failed int() in a lookup.
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        identity = self.request.query_params.get("identity")
        if self.action == "list" and identity is not None:
            return customer_find_by_identity(identity)
        return customer_list(query=self.request.query_params.get("q", "")[:200])

    @extend_schema(
        parameters=[
            OpenApiParameter("identity", str, description="Any address of the customer, in any format."),
            OpenApiParameter("q", str, description="Part of the customer's name."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=MessageSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=TimelinePagination)
    def timeline(self, request, pk=None):
        customer = get_object_or_404(Customer, pk=pk)
        messages = customer_timeline(customer_id=customer.pk)
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(request=MergeSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        source = get_object_or_404(Customer, pk=pk)
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = customer_merge(source=source, target=serializer.validated_data["into"], actor=request.user)
        return Response(CustomerSerializer(target).data)


class TicketViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = TicketSerializer
    pagination_class = TicketListPagination
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if self.action != "list":
            return ticket_list()
        params = self.request.query_params
        assignee = params.get("assignee")
        filters = TicketFilters(
            status=_list_param(self.request, "status", Ticket.Status.values),
            channel=_list_param(self.request, "channel", Channel.values),
            priority=[int(p) for p in _list_param(self.request, "priority", Ticket.Priority.values) or []] or None,
            team_id=_int_param(self.request, "team"),
            assignee_id=None if assignee in (None, "", "none") else _int_param(self.request, "assignee"),
            unassigned=assignee == "none",
            tag=params.get("tag", ""),
            customer_id=_int_param(self.request, "customer"),
            query=params.get("q", "")[:200],
        )
        return ticket_list(filters=filters)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="Comma-separated statuses."),
            OpenApiParameter("channel", str, description="Comma-separated channels."),
            OpenApiParameter("priority", str, description="Comma-separated priorities (1-4)."),
            OpenApiParameter("team", int),
            OpenApiParameter("assignee", str, description="A user id, or 'none' for unassigned."),
            OpenApiParameter("tag", str),
            OpenApiParameter("customer", int),
            OpenApiParameter("q", str, description="Words of the subject or the customer's name, or a ticket number."),
        ]
    )
    def list(self, request, *args, **kwargs):
        # TicketSerializer's fields, written from the page's values (tickets/api_ticket_rows.py).
        page = self.paginate_queryset(row_values_with_tags(self.filter_queryset(self.get_queryset()), API_ROW_FIELDS))
        return self.get_paginated_response(ticket_list_items(with_tags(page)))

    @extend_schema(
        request=TicketCreateSerializer, responses={201: TicketSerializer}, parameters=[IDEMPOTENCY_KEY_PARAMETER]
    )
    @idempotent
    def create(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = ticket_open(
            customer=data["customer"],
            subject=data["subject"],
            channel=data["channel"],
            priority=data["priority"],
            team=data.get("team"),
            assignee=data.get("assignee"),
            actor=request.user,
            text=data.get("text", ""),
        )
        return Response(ticket_list_items([_new_ticket_row(ticket)])[0], status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketUpdateSerializer, responses=TicketSerializer)
    def partial_update(self, request, pk=None):
        ticket = get_object_or_404(Ticket, pk=pk)
        serializer = TicketUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "status" in data:
            ticket_services.ticket_set_status(ticket=ticket, status=data["status"], actor=request.user)
        if "priority" in data:
            ticket_services.ticket_set_priority(ticket=ticket, priority=data["priority"], actor=request.user)
        if "assignee" in data or "team" in data:
            ticket_services.ticket_assign(
                ticket=ticket, assignee=data.get("assignee", ticket.assignee), team=data.get("team"), actor=request.user
            )
        if data.get("add_tags"):
            ticket_services.ticket_add_tags(ticket=ticket, names=data["add_tags"], actor=request.user)
        return Response(TicketSerializer(ticket_list().get(pk=ticket.pk)).data)

    @extend_schema(
        description=(
            "GET: the ticket's conversation. POST: a reply (sent on `channel`) or an internal note. "
            "To send files, post multipart/form-data with one `attachments` part per file; they are "
            "stored and sent with the reply on its channel (email attachments, MMS or WhatsApp media "
            "where the provider can fetch them)."
        ),
        request={"application/json": ReplySerializer, "multipart/form-data": ReplySerializer},
        responses={200: MessageSerializer(many=True), 201: MessageSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=ConversationPagination)
    @idempotent
    def messages(self, request, pk=None):
        ticket = get_object_or_404(Ticket, pk=pk)
        if request.method == "GET":
            page = self.paginate_queryset(ticket_messages(ticket_id=ticket.pk))
            return self.get_paginated_response(MessageSerializer(page, many=True).data)
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        message = reply_create(
            ticket=ticket,
            author=request.user,
            text=data["text"],
            channel=data.get("channel"),
            is_note=data["note"],
            attachments=data["attachments"],
        )
        if data.get("status"):
            # The ticket as the reply left it (locked, counted and saved by it).
            ticket_services.ticket_set_status(ticket=message.ticket, status=data["status"], actor=request.user)
        # The message as written, its author and attachments included: nothing to read back.
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
