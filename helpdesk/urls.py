from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page links.
    path("favicon.ico", RedirectView.as_view(url=static_url("favicon.ico"), permanent=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", metadata_class=None), name="api-docs"),
    path("api/v1/", include("tickets.api_urls")),
    # Supervisor pages, above the console's own include.
    path("console/dashboard/", include("tickets.dashboard.urls")),
    path("console/rules/", include("tickets.dashboard.rules_urls")),
    path("survey/", include("tickets.dashboard.survey_urls")),
    path("console/outbox/", include("channels_app.outbox.urls")),
    path("console/chat-sessions/", include("tickets.console.chat_sessions")),
    path("console/", include("tickets.console.urls")),
    path("portal/line/", include("channels_app.line.portal_urls")),
    path("portal/", include("kb.portal.urls")),
    path("help/", include("kb.urls")),
    path("chat/", include("channels_app.chat.urls")),
    path("webhooks/twilio/", include("channels_app.twilio.urls")),
    path("webhooks/email/", include("channels_app.email.urls")),
    path("webhooks/line/", include("channels_app.line.urls")),
    path("webhooks/meta/", include("channels_app.meta.urls")),
    path("webhooks/anymail/", include("channels_app.email.anymail_urls")),
    path("", include("tickets.urls")),
]
# A database that refuses connections is a 503 (helpdesk/errors.py), anything else the 500 page.
handler500 = "helpdesk.errors.server_error"
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
