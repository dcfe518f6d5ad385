from django.urls import path

from channels_app.line import webhooks

app_name = "line"

urlpatterns = [
    path("", webhooks.line_webhook, name="webhook"),
]
