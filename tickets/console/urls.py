from django.contrib.auth import views as auth_views
from django.urls import path

from tickets.console import (
    canned_views,
    claim_views,
    contacts_views,
    inbox_views,
    sla_views,
    survey_views,
    ticket_views,
    views,
)

app_name = "console"

urlpatterns = [
    path("login/", views.ConsoleLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("", inbox_views.inbox, name="inbox"),
    path("bulk/", inbox_views.bulk, name="bulk"),
    path("views/", inbox_views.saved_view_save, name="saved-view-save"),
    path("views/<int:pk>/delete/", inbox_views.saved_view_delete, name="saved-view-delete"),
    path("tickets/<int:pk>/", ticket_views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/timeline/", ticket_views.ticket_timeline, name="timeline"),
    path("tickets/<int:pk>/row/", inbox_views.ticket_row, name="ticket-row"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<int:pk>/update/", views.ticket_update, name="ticket-update"),
    path("tickets/<int:pk>/canned/<int:canned_id>/", views.canned_render, name="canned"),
    path("tickets/<int:pk>/macro/", views.macro_apply, name="macro"),
    path("messages/<int:pk>/", ticket_views.message_partial, name="message"),
    path("inline/<int:pk>/", views.attachment_inline, name="inline-image"),
    path("tickets/new/", contacts_views.conversation_start, name="ticket-new"),
    path("contacts/", contacts_views.contact_list, name="contacts"),
    path("contacts/<int:pk>/", contacts_views.contact_detail, name="contact"),
    path("contacts/<int:pk>/identities/", contacts_views.identity_add, name="identity-add"),
    path("contacts/<int:pk>/identities/<int:identity_id>/remove/", contacts_views.identity_remove, name="identity-remove"),
    path("contacts/<int:pk>/merge/", contacts_views.contact_merge, name="contact-merge"),
    path("merges/<int:merge_id>/undo/", contacts_views.merge_undo, name="merge-undo"),
    path("settings/sla/", sla_views.sla_settings_page, name="sla-settings"),
    path("settings/sla/<int:pk>/", sla_views.sla_policy_edit, name="sla-policy"),
    path("settings/sla/<int:pk>/delete/", sla_views.sla_policy_delete, name="sla-policy-delete"),
    path("settings/calendars/new/", sla_views.calendar_edit, name="calendar-new"),
    path("settings/calendars/<int:pk>/", sla_views.calendar_edit, name="calendar"),
    path("settings/surveys/", survey_views.survey_settings_page, name="survey-settings"),
    path("settings/surveys/reset/", survey_views.survey_plan_reset, name="survey-plan-reset"),
    path("canned/", canned_views.canned_list, name="canned-list"),
    path("canned/<int:pk>/", canned_views.canned_edit, name="canned-edit"),
    path("canned/<int:pk>/delete/", canned_views.canned_delete, name="canned-delete"),
    path("claims/<int:pk>/confirm/", claim_views.identity_claim_confirm, name="claim-confirm"),
    path("approvals/", views.approval_queue, name="approvals"),
    path("approvals/<int:pk>/", views.approval_decide, name="approval-decide"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
]
