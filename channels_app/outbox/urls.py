from django.urls import path

from channels_app.outbox import views

app_name = "outbox"

urlpatterns = [
    path("", views.outbox, name="list"),
    path("clear/", views.outbox_clear, name="clear"),
]
