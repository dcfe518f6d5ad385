"""Admin pages of business hours, SLA policies, escalation rules, surveys, chat
sessions and the KPI reports.
Imported by tickets/admin.py."""

from django.contrib import admin

from tickets.models import (
    BusinessCalendar,
    BusinessHours,
    ChatSessionLog,
    EscalationRule,
    Holiday,
    KPIReportDelivery,
    KPIReportPreference,
    RuleFiring,
    SLAPolicy,
    Survey,
    SurveyOptOut,
    TicketSLA,
)


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_default"]
    filter_horizontal = ["teams"]
    inlines = [BusinessHoursInline, HolidayInline]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "priority", "tier", "first_response_minutes", "resolution_minutes", "active"]
    list_filter = ["active", "priority", "tier"]


@admin.register(TicketSLA)
class TicketSLAAdmin(admin.ModelAdmin):
    list_display = ["ticket", "first_response_due_at", "resolution_due_at", "first_response_breached_at", "resolution_breached_at"]
    raw_id_fields = ["ticket"]
    readonly_fields = ["paused_business_s", "autoack_sent_at", "updated_at"]


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    """Conditions and actions are JSON, checked by the model's validators; the console's
    rule page (/console/rules/) has a form builder for them."""

    list_display = ["name", "active", "position", "updated_at"]
    list_filter = ["active"]
    list_editable = ["active", "position"]
    search_fields = ["name"]


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    list_display = ["rule", "ticket", "event", "fired_at"]
    list_filter = ["rule"]
    raw_id_fields = ["ticket"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "channel", "status", "score", "created_at", "answered_at"]
    list_filter = ["kind", "status", "channel"]
    raw_id_fields = ["ticket", "customer", "message", "answer_message"]
    readonly_fields = ["token"]


@admin.register(SurveyOptOut)
class SurveyOptOutAdmin(admin.ModelAdmin):
    list_display = ["customer", "created_at"]
    raw_id_fields = ["customer"]


@admin.register(ChatSessionLog)
class ChatSessionLogAdmin(admin.ModelAdmin):
    list_display = ["ticket", "started_at", "last_activity_at", "ended_at", "end_reason"]
    list_filter = ["end_reason"]
    raw_id_fields = ["ticket", "customer"]


@admin.register(KPIReportPreference)
class KPIReportPreferenceAdmin(admin.ModelAdmin):
    """How often, and in which language, each supervisor gets the KPI report."""

    list_display = ["user", "period", "language"]
    list_editable = ["period", "language"]
    raw_id_fields = ["user"]


@admin.register(KPIReportDelivery)
class KPIReportDeliveryAdmin(admin.ModelAdmin):
    list_display = ["recipient", "period", "period_start", "period_end", "status", "sent_at"]
    list_filter = ["period", "status"]
    readonly_fields = ["recipient", "period", "period_start", "period_end", "status", "created_at", "sent_at"]
