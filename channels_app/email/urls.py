from django.urls import path

from channels_app.email import views

app_name = "email"
urlpatterns = [
    path("inbound/", views.inbound_email, name="inbound"),
]
