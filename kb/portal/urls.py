from django.urls import path

from kb.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.signin, name="signin"),
    path("signin/sent/", views.signin_sent, name="signin-sent"),
    path("signin/code/", views.signin_code, name="signin-code"),
    path("signin/link/<str:token>/", views.signin_link, name="signin-link"),
    path("signout/", views.signout, name="signout"),
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/status.json", views.ticket_statuses, name="ticket-statuses"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/sent/", views.request_sent, name="request-sent"),
    path("suggest/", views.suggest, name="suggest"),
    path("suggestions/opened/", views.suggestion_opened, name="suggestion-opened"),
    path("surveys/<int:survey_id>/", views.survey_answer, name="survey"),
    path("privacy/", views.privacy_page, name="privacy"),
    path("privacy/export.json", views.privacy_export_json, name="export-json"),
    path("privacy/export.html", views.privacy_export_html, name="export-html"),
]
