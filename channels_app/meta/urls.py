from django.urls import path

from channels_app.meta import webhooks

app_name = "meta"

urlpatterns = [
    path("", webhooks.meta_webhook, name="webhook"),
]
