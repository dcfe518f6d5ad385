from django.urls import path

from channels_app.chat import views

app_name = "chat"

urlpatterns = [
    path("embed.js", views.embed_js, name="embed"),
    path("widget/", views.widget, name="widget"),
    path("session/", views.session_create, name="session"),
    path("upload/", views.upload, name="upload"),
    path("offline/", views.offline_message, name="offline"),
    path("verify/", views.verify_start, name="verify"),
    path("verify/confirm/", views.verify_confirm, name="verify-confirm"),
]
