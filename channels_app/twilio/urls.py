from django.urls import path

from channels_app.twilio import public_media, webhooks

app_name = "twilio"

urlpatterns = [
    path("sms/", webhooks.sms_webhook, name="sms"),
    path("whatsapp/", webhooks.whatsapp_webhook, name="whatsapp"),
    path("status/", webhooks.status_webhook, name="status"),
    path("media/<str:token>/", public_media.public_media, name="media"),
]
