"""The channels in the admin: LINE's and Meta's settings and health (the last event
received, the last error), the contacts those platforms told us about, and LINE link
codes. Secrets are never shown, only whether they are set."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from channels_app.models import ChannelHealth, LineLinkCode, MessagingContact

# channel -> (webhook URL name, the settings an administrator sets; the secret ones are not shown)
_CHANNEL_SETTINGS = {
    "line": (
        "line:webhook",
        ["LINE_API_BASE_URL", "LINE_API_DATA_BASE_URL"],
        ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"],
    ),
    "messenger": (
        "meta:webhook",
        ["META_GRAPH_BASE_URL", "META_GRAPH_VERSION"],
        ["META_APP_SECRET", "META_VERIFY_TOKEN", "META_PAGE_ACCESS_TOKEN"],
    ),
    "instagram": (
        "meta:webhook",
        ["META_GRAPH_BASE_URL", "META_GRAPH_VERSION"],
        ["META_APP_SECRET", "META_VERIFY_TOKEN", "META_PAGE_ACCESS_TOKEN"],
    ),
}


@admin.register(ChannelHealth)
class ChannelHealthAdmin(admin.ModelAdmin):
    list_display = ["channel", "last_event_at", "events_received", "last_error_at", "last_error"]
    readonly_fields = ["channel", "settings_shown", "last_event_at", "events_received", "last_error_at", "last_error"]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # Every channel is listed, also before its first event.
        for channel in _CHANNEL_SETTINGS:
            ChannelHealth.objects.get_or_create(channel=channel)
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("settings"))
    def settings_shown(self, obj: ChannelHealth):
        url_name, plain, secret = _CHANNEL_SETTINGS.get(obj.channel, ("", [], []))
        rows = []
        if url_name:
            rows.append((_("webhook URL"), settings.HELPDESK_PUBLIC_URL + reverse(url_name)))
        rows += [(name, getattr(settings, name, "")) for name in plain]
        for name in secret:
            # The development defaults ("dev-...") leave a channel off (helpdesk/secrets.py).
            value = str(getattr(settings, name, "") or "")
            rows.append(
                (name, _("set") if value and not value.startswith("dev-") else _("not set: the channel is off"))
            )
        return format_html_join("", "<div><code>{}</code>: {}</div>", rows)


@admin.register(MessagingContact)
class MessagingContactAdmin(admin.ModelAdmin):
    list_display = ["platform", "user_id", "display_name", "opted_out", "profile_fetched_at", "profile_error"]
    list_filter = ["platform", "opted_out"]
    search_fields = ["user_id", "display_name"]
    readonly_fields = [field.name for field in MessagingContact._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(LineLinkCode)
class LineLinkCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "customer", "created_at", "expires_at", "used_at", "line_user_id"]
    readonly_fields = ["code", "customer", "created_at", "expires_at", "used_at", "line_user_id"]
    search_fields = ["code", "line_user_id"]

    def has_add_permission(self, request) -> bool:
        return False
