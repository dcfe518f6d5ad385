"""Outbound webhooks in the admin: subscriptions (with their signing secret, and the
explicit allowance of a private host), and every delivery with each attempt, which an
administrator can send again."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from tickets.services.webhooks import UnsafeTarget, webhook_delivery_resend, webhook_target_check


class WebhookSubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "description", "events", "active", "allow_private_host"]

    def clean(self):
        data = super().clean()
        if data.get("url"):
            try:
                webhook_target_check(url=data["url"], allow_private=bool(data.get("allow_private_host")))
            except UnsafeTarget as exc:
                raise forms.ValidationError(
                    _(
                        "This URL is refused: %(reason)s. Tick “allow a private or local host” only for a host you trust."
                    )
                    % {"reason": exc}
                ) from exc
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["url", "description", "active", "allow_private_host", "created_at"]
    list_filter = ["active"]
    readonly_fields = ["secret"]

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "events", "active", "allow_private_host"]
        return fields + ["secret"] if obj is not None else fields


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "status_code", "duration_ms", "error", "response"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "subscription", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "event", "subscription"]
    readonly_fields = [
        "subscription",
        "event_id",
        "event",
        "payload",
        "status",
        "attempts",
        "created_at",
        "finished_at",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["resend"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send again"))
    def resend(self, request, queryset):
        for delivery in queryset:
            webhook_delivery_resend(delivery=delivery)
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(count)d delivery is sent again.", "%(count)d deliveries are sent again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
