"""The admin's read-only audit of staff sign-ins."""

from django.contrib import admin

from tickets.models import SignInAttempt


@admin.register(SignInAttempt)
class SignInAttemptAdmin(admin.ModelAdmin):
    list_display = ["created_at", "username", "outcome", "site", "ip", "user_agent"]
    list_filter = ["outcome", "site", "created_at"]
    search_fields = ["username", "ip"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]

    # An audit trail: nobody edits or forges it, not even an administrator.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
