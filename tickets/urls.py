from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.home, name="home"),
    path("console/attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
