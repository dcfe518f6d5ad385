from django.urls import path

from channels_app.line import portal

app_name = "line-portal"

urlpatterns = [
    path("", portal.line_link_page, name="link"),
]
