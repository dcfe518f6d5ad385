from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.models import (
    AgentProfile,
    Attachment,
    ContactIdentity,
    Customer,
    InboundEvent,
    Message,
    Tag,
    Team,
    Ticket,
    TicketActivity,
)
from tickets.services.ingest import inbound_event_process
from tickets.services.privacy import customer_erase
from tickets.services.ticket_edits import customer_edited, ticket_edited


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "email"]
    search_fields = ["name"]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "presence", "in_training", "capacity"]
    list_filter = ["presence", "in_training", "teams"]
    filter_horizontal = ["teams"]


class IdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 0
    fields = ["kind", "address", "verified"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "tier", "language", "created_at"]
    list_filter = ["tier", "language"]
    search_fields = ["name", "identities__address"]
    inlines = [IdentityInline]
    raw_id_fields = ["merged_into", "user"]
    actions = ["erase"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        customer_edited(customer=form.instance)

    def get_actions(self, request):
        # A customer's contacts are never deleted; erasure removes their personal data.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Erase the selected customers' personal data (irreversible)"), permissions=["delete"])
    def erase(self, request, queryset):
        """Asks for confirmation on a page of its own, then calls the privacy service."""
        if request.POST.get("confirm_erase") != "yes":
            return TemplateResponse(
                request,
                "admin/tickets/customer/erase_confirmation.html",
                {**self.admin_site.each_context(request), "customers": queryset, "opts": self.model._meta},
            )
        results = [customer_erase(customer=customer, actor=request.user) for customer in queryset]
        erased = ngettext("%(count)d customer erased", "%(count)d customers erased", len(results))
        self.message_user(request, erased % {"count": len(results)}, messages.SUCCESS)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "status", "priority", "channel", "customer", "assignee", "updated_at"]
    list_filter = ["status", "priority", "channel", "team"]
    search_fields = ["subject"]
    raw_id_fields = ["customer", "assignee"]
    list_select_related = ["customer", "assignee"]
    # Status goes through the services, which keep the KPI facts and clocks below.
    readonly_fields = [
        "status", "created_at", "updated_at", "first_inbound_at", "last_inbound_at", "first_response_at",
        "first_response_s", "first_response_business_s", "last_agent_reply_at", "resolved_at", "resolution_s",
        "resolution_business_s", "closed_at", "pending_since", "paused_s", "escalated_at", "reopen_count",
        "agent_reply_count", "fcr_one_contact", "repeat_contact_at", "open_conversation", "agent_initiated",
    ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        # A ticket moves to another customer by merging the customers, in the console:
        # its conversation key and the customers' FCR facts follow there.
        return [*self.readonly_fields, "customer"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        ticket_edited(ticket=obj)

    def has_delete_permission(self, request, obj=None):
        # A ticket holds contacts, which are never deleted; erasing the customer removes their data.
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read only: a message is a contact on the customer's timeline, written and
    erased by the services alone, which keep its ticket's facts and documents."""

    list_display = ["id", "ticket", "channel", "direction", "delivery_status", "created_at"]
    list_filter = ["channel", "direction", "delivery_status"]
    raw_id_fields = ["ticket", "customer", "author", "event"]
    search_fields = ["external_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "content_type", "size", "message"]
    raw_id_fields = ["message"]


@admin.register(TicketActivity)
class TicketActivityAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["ticket", "actor"]


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "external_id", "status", "attempts", "created_at"]
    list_filter = ["status", "channel"]
    search_fields = ["external_id"]
    readonly_fields = ["channel", "external_id", "payload", "status", "error", "attempts", "created_at", "processed_at"]
    exclude = ["raw"]
    actions = ["replay"]

    @admin.action(description=_("Replay the selected events"))
    def replay(self, request, queryset):
        results = [inbound_event_process(event) for event in queryset.exclude(status="processed")]
        failed = sum(1 for result in results if result.status == InboundEvent.Status.FAILED)
        self.message_user(
            request,
            _("%(replayed)d replayed, %(failed)d failed again") % {"replayed": len(results) - failed, "failed": failed},
            messages.WARNING if failed else messages.SUCCESS,
        )


# The audit of staff sign-ins, outbound webhooks; business hours, SLA policies, escalation rules and surveys.
from tickets import admin_security, admin_webhooks  # noqa: E402,F401
from tickets.dashboard import admin as supervision_admin  # noqa: E402,F401
