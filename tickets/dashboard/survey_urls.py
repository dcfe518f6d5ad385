"""/survey/<token>/: the public survey page of email surveys."""

from django.urls import path

from tickets.dashboard import survey_views

app_name = "survey"

urlpatterns = [
    path("<str:token>/", survey_views.survey_page, name="answer"),
]
